"""What a person is told about (services/notifications.py): a row per recipient, read or not, and
each person's settings per workspace (which kinds they are told of, and whether the browser shows
its own notification while the tab is in the background)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, DateTime, ForeignKeyConstraint, Index, String, UniqueConstraint, func
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, empty_list, utcnow

NOTIFICATION_TITLE_MAX = 300


class NotificationKind(StrEnum):
    REVIEW_WAITING = "review_waiting"
    RUN_FINISHED = "run_finished"
    RUN_FAILED = "run_failed"
    REPORT_READY = "report_ready"
    INVITATION_ACCEPTED = "invitation_accepted"


class Notification(IdMixin, TenantMixin, table=True):
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    kind: str = Field(max_length=24)
    title: str = Field(max_length=NOTIFICATION_TITLE_MAX)
    # What it is about (the page builds the link): deleting the project deletes what was said of it.
    project_id: uuid.UUID | None = Field(default=None)
    run_id: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False},
    )
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NotificationSetting(IdMixin, TenantMixin, table=True):
    __tablename__ = "notification_setting"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_notification_setting_user"),)

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    # Kinds this person is not told of (NotificationKind values).
    muted: list[str] = Field(default_factory=empty_list, sa_type=ARRAY(String(24)))
    browser: bool = True  # the browser's own notification while the tab is in the background
