"""The workspace's trash: what was deleted in the last 30 days, ready to be put back.

A deleted note, memory entry, image, workflow or report leaves its table as before (so no query
anywhere has to learn to skip deleted rows); its rows travel here as JSON (``payload``) and its
stored files stay where they are (``file_keys``) until the item is restored, emptied, or purged by
the periodic job after ``TRASH_DAYS``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, DateTime, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, empty_dict, empty_list, utcnow

TRASH_DAYS = 30
TRASH_TITLE_MAX = 300


class TrashKind(StrEnum):
    NOTE = "note"
    MEMORY = "memory"
    IMAGE = "image"
    WORKFLOW = "workflow"
    REPORT = "report"


class TrashItem(IdMixin, TenantMixin, table=True):
    __tablename__ = "trash_item"
    __table_args__ = (Index("ix_trash_item_tenant_deleted", "tenant_id", "deleted_at"),)

    kind: str = Field(max_length=12)
    item_id: uuid.UUID  # the id it had (and gets back when restored)
    # Where it lived (no foreign key: the trash outlives a deleted project until the purge).
    project_id: uuid.UUID | None = Field(default=None)
    parent_id: uuid.UUID | None = Field(default=None)  # an image's note
    title: str = Field(max_length=TRASH_TITLE_MAX)
    location: str = Field(default="", max_length=TRASH_TITLE_MAX)  # "Project · Note", for the list
    # The rows to put back, table by table in insert order: {"rows": [[table, {column: value}], ...]}.
    payload: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)
    file_keys: list[str] = Field(default_factory=empty_list, sa_type=ARRAY(String(400)))
    deleted_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    deleted_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
