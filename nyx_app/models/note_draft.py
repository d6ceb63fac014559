"""Unsaved edits of a note, kept per user and note until they are saved or discarded."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin
from nyx_app.models.project import NOTE_TITLE_MAX


class NoteDraft(IdMixin, TenantMixin, TimestampMixin, table=True):
    """What one user typed into a note's editor and has not saved yet.

    ``base_version`` is the note version the text was written on: a draft older than the note
    is never taken for the note's text without the user choosing it. Row-level security keeps
    drafts inside their tenant and, with a second policy, visible only to the user who wrote them.
    """

    __tablename__ = "note_draft"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "note_id"], ["project_note.tenant_id", "project_note.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("note_id", "user_id", name="uq_note_draft_note_user"),
    )

    note_id: uuid.UUID
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    # The title may be left empty while typing; it is checked when the note is saved.
    title: str = Field(default="", max_length=NOTE_TITLE_MAX)
    content: str = Field(default="")
    base_version: int
