"""Webhooks of a workspace and the log of their deliveries.

The signing secret is needed in plain text to sign (HMAC-SHA256), so it is stored Fernet-encrypted
like provider keys and shown once. A delivery is one event sent to one webhook: its attempts
(status, response excerpt, error, duration) are kept on the row, newest last.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, DateTime, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_dict, empty_list

WEBHOOK_URL_MAX = 500
WEBHOOK_NAME_MAX = 80
EVENT_MAX = 32


class WebhookEvent(StrEnum):
    RUN_SUCCEEDED = "run.succeeded"
    RUN_FAILED = "run.failed"
    REVIEW_WAITING = "review.waiting"
    REPORT_READY = "report.ready"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # queued, or waiting for its next attempt
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt failed (or the address was refused): given up


class Webhook(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (UniqueConstraint("tenant_id", "id", name="uq_webhook_tenant_id_id"),)

    name: str = Field(max_length=WEBHOOK_NAME_MAX)
    url: str = Field(max_length=WEBHOOK_URL_MAX)
    events: list[str] = Field(default_factory=empty_list, sa_type=ARRAY(String(EVENT_MAX)))
    secret_ciphertext: str
    active: bool = True
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class WebhookDelivery(IdMixin, TenantMixin, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "webhook_id"], ["webhook.tenant_id", "webhook.id"], ondelete="CASCADE"),
        Index("ix_webhook_delivery_webhook_created", "webhook_id", "created_at"),
    )

    webhook_id: uuid.UUID
    event: str = Field(max_length=EVENT_MAX)
    # One id per event, the same for every webhook it goes to (receivers de-duplicate by it).
    event_id: uuid.UUID
    payload: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=12)
    attempts: int = 0
    # Every attempt: at, status_code, error, duration_ms, response (an excerpt).
    log: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSONB)
    next_attempt_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
