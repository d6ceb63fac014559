"""The audit log: who did what, when, from where, to which object. Append-only.

The app role may INSERT and SELECT rows, never UPDATE or DELETE them (grants: db/bootstrap.py);
old rows are removed only by ``nyx_purge_audit_events(keep_days)``, a function owned by the owner
role that keeps at least 30 days whatever it is asked (migration 0019).

Who is kept twice: ``actor_id`` (the user, while the account exists) and ``actor_label`` (their
name and e-mail at the time), so the log still says who it was after an account is gone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, empty_dict, utcnow

ACTION_MAX = 40
LABEL_MAX = 300


class AuditEvent(IdMixin, TenantMixin, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_tenant_created", "tenant_id", "created_at"),
        Index("ix_audit_event_tenant_action", "tenant_id", "action"),
        Index("ix_audit_event_tenant_actor", "tenant_id", "actor_id"),
    )

    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    actor_label: str = Field(default="", max_length=LABEL_MAX)
    action: str = Field(max_length=ACTION_MAX)
    object_type: str = Field(default="", max_length=30)
    object_id: str = Field(default="", max_length=64)
    object_label: str = Field(default="", max_length=LABEL_MAX)
    address: str = Field(default="", max_length=64)
    device: str = Field(default="", max_length=200)
    # web (a page), api (a token), mcp (a coding agent), system (a job)
    via: str = Field(default="web", max_length=12)
    details: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)
