"""All tables, imported here so SQLModel.metadata is complete for Alembic."""

from nyx_app.models.memory import MemoryEntry
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.tenancy import AuthSession, Membership, Role, Tenant, User

__all__ = ["AuthSession", "Membership", "MemoryEntry", "NoteImage", "Project", "ProjectNote", "Role", "Tenant", "User"]
