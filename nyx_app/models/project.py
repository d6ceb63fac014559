"""Projects and their markdown notes."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Computed, ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin

PROJECT_NAME_MAX = 120
DESCRIPTION_MAX = 2000
NOTE_TITLE_MAX = 200
NOTE_CONTENT_MAX = 200_000
GITHUB_URL_MAX = 300
GITHUB_PATH_MAX = 300
MODEL_REF_MAX = 200
# Empty: "automatic", the workspace's first reachable model, resolved when used (services/llm/choice.py).
DEFAULT_PROJECT_MODEL = ""

# The search document of a note, kept by PostgreSQL itself (a stored generated column). 'simple':
# no stemming and no stop words, so any language is found by the words' beginnings ("deploy"
# finds "deployed"); services/notes.py builds prefix queries with the same configuration.
NOTE_SEARCH_CONFIG = "simple"
NOTE_SEARCH_DOCUMENT = f"to_tsvector('{NOTE_SEARCH_CONFIG}'::regconfig, title || ' ' || content)"


class Project(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        # Lets children reference (tenant_id, id), so a row can never point into another tenant.
        UniqueConstraint("tenant_id", "id", name="uq_project_tenant_id_id"),
    )

    name: str = Field(max_length=PROJECT_NAME_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    github_url: str = Field(default="", max_length=GITHUB_URL_MAX)
    # Empty means the repository root (shown as "/").
    github_path: str = Field(default="", max_length=GITHUB_PATH_MAX)
    published: bool = False
    # The model this project's LLM work uses first ("provider/model"); the tenant's chain follows.
    # Empty: the workspace's first reachable model (services/llm/choice.py).
    llm_model: str = Field(default=DEFAULT_PROJECT_MODEL, max_length=MODEL_REF_MAX)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class ProjectNote(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "project_note"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "id", name="uq_project_note_tenant_id_id"),
        # Stored, not computed per query: parsing every note at search time cost 44 ms for 200
        # notes and 780 ms for 2,000 (scripts/bench/note_search.py). Not mapped (see below), so
        # loading a note never drags its search document along.
        Column("search_vector", TSVECTOR, Computed(NOTE_SEARCH_DOCUMENT, persisted=True)),
    )
    __mapper_args__ = {"exclude_properties": ["search_vector"]}

    project_id: uuid.UUID = Field(index=True)
    title: str = Field(max_length=NOTE_TITLE_MAX)
    content: str = Field(default="")
    # Bumped on every save: a save based on an older version is a conflict, not a silent overwrite.
    version: int = 1
    # Shown on the project's public page while the project is published (services/public.py).
    public: bool = False
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
