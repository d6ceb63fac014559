"""All tables, imported here so SQLModel.metadata is complete for Alembic."""

from nyx_app.models.llm import LlmCall, ProviderCredential, TenantLlmSettings
from nyx_app.models.memory import MemoryEntry
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.tenancy import AuthSession, Invitation, Membership, Role, Tenant, User
from nyx_app.models.throttle import AuthThrottle

__all__ = [
    "AuthSession",
    "AuthThrottle",
    "Invitation",
    "LlmCall",
    "Membership",
    "MemoryEntry",
    "NoteImage",
    "Project",
    "ProjectNote",
    "ProviderCredential",
    "Role",
    "Tenant",
    "TenantLlmSettings",
    "User",
]
