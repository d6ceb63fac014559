"""Memory hub entries: tenant knowledge, optionally tied to a project, searchable by full text."""

from __future__ import annotations

import uuid

from sqlalchemy import ARRAY, Index, String, UniqueConstraint, text
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_list

MEMORY_TITLE_MAX = 200
MEMORY_CONTENT_MAX = 100_000
TAG_MAX = 40
TAGS_MAX = 20

# The text search configuration and document used by both the GIN index and the queries;
# they must stay identical or PostgreSQL will not use the index.
FTS_CONFIG = "english"
FTS_DOCUMENT = "title || ' ' || content"


def fts_document_sql() -> str:
    return f"to_tsvector('{FTS_CONFIG}'::regconfig, {FTS_DOCUMENT})"


class MemoryEntry(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "memory_entry"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_memory_entry_tenant_id_id"),
        Index("ix_memory_entry_fts", text(fts_document_sql()), postgresql_using="gin"),
    )

    title: str = Field(max_length=MEMORY_TITLE_MAX)
    content: str = Field(default="")
    tags: list[str] = Field(default_factory=empty_list, sa_type=ARRAY(String(TAG_MAX)))
    project_id: uuid.UUID | None = Field(default=None, foreign_key="project.id", ondelete="SET NULL", index=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
