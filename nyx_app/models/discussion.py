"""Discussions of a project with 2-5 personas, and their messages.

A discussion is a list of messages in order (``seq``). The user's question (or follow-up) is a
message holding its text. Every answer, synthesis and plan is a message that points at the run
and step that produce it: its text, status, model, tokens, cost and failed attempts live on that
``step_run`` row (streamed there while the model writes), never copied, so the page reads one
truth whether the answer is still coming or long done.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_list

DISCUSSION_TITLE_MAX = 200
QUESTION_MAX = 10_000


class MessageKind(StrEnum):
    QUESTION = "question"  # the user's question or follow-up (text here)
    ANSWER = "answer"  # a persona's turn (text on its step_run)
    SYNTHESIS = "synthesis"  # "Best approach"
    PLAN = "plan"  # "Implement": saved as a project note when its run succeeds


class Discussion(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "id", name="uq_discussion_tenant_id_id"),
        Index("ix_discussion_project_updated", "project_id", "updated_at"),
    )

    project_id: uuid.UUID = Field(index=True)
    title: str = Field(max_length=DISCUSSION_TITLE_MAX)
    # "provider/model" every turn of this discussion asks first (the tenant's chain follows).
    model: str = Field(max_length=200)
    # The personas taking part, in speaking order (ids as strings; a deleted persona stays named
    # on the messages it wrote).
    persona_ids: list[str] = Field(default_factory=empty_list, sa_type=JSONB)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class DiscussionMessage(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "discussion_message"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "discussion_id"], ["discussion.tenant_id", "discussion.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        UniqueConstraint("discussion_id", "seq", name="uq_discussion_message_seq"),
    )

    discussion_id: uuid.UUID = Field(index=True)
    seq: int
    kind: str = Field(max_length=12)
    round: int = 1
    # The question's text; empty for messages whose text is their step's output.
    content: str = Field(default="")
    run_id: uuid.UUID | None = Field(default=None, index=True)
    step_key: str = Field(default="", max_length=60)
    # Who spoke, as they were named then (no foreign key: deleting a persona keeps the transcript).
    persona_id: uuid.UUID | None = Field(default=None)
    persona_name: str = Field(default="", max_length=80)
    persona_role: str = Field(default="", max_length=120)
    # A plan's saved note (no foreign key: deleting the note leaves the plan in the discussion).
    note_id: uuid.UUID | None = Field(default=None)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
