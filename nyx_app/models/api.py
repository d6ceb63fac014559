"""The public API's tables: tokens, the per-tenant request counter, and idempotency keys.

A token (``nyx_<tenant hex>_<secret>``) is shown once; only its SHA-256 is stored, like a login.
It acts for one member (``user_id``): every call is checked against that member's role *now* and
the token's scopes, so a token never grants more than its member may do, and a removed member's
tokens stop at once (the membership row is read on every call).

``api_rate_window`` counts a tenant's calls per minute in PostgreSQL, so every process of the app
shares one limit. ``api_idempotency`` keeps the answer to a creating call under its
``Idempotency-Key`` for a day: the same key with the same request gets the same answer again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, DateTime, ForeignKeyConstraint, Index, PrimaryKeyConstraint, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_list

TOKEN_NAME_MAX = 80
IDEMPOTENCY_KEY_MAX = 200
ADDRESS_MAX = 64


class TokenKind(StrEnum):
    PERSONAL = "personal"  # made on the Account page; only its member sees and revokes it
    WORKSPACE = "workspace"  # made by an owner or admin in workspace settings; every owner and admin manages it


class ApiToken(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "api_token"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_api_token_tenant_id_id"),
        Index("ix_api_token_tenant_user", "tenant_id", "user_id"),
    )

    # The member the token acts for (its creator): their current role bounds what it may do.
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    kind: str = Field(default=TokenKind.PERSONAL.value, max_length=12)
    name: str = Field(max_length=TOKEN_NAME_MAX)
    scopes: list[str] = Field(default_factory=empty_list, sa_type=ARRAY(String(8)))
    token_hash: str = Field(max_length=64, unique=True)
    # The secret's last four characters: how the lists tell tokens apart.
    hint: str = Field(default="", max_length=4)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_used_address: str = Field(default="", max_length=ADDRESS_MAX)


class ApiRateWindow(SQLModel, table=True):
    """Calls of one tenant in one minute (``window_start``); old windows are swept."""

    __tablename__ = "api_rate_window"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "window_start"),)

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", ondelete="CASCADE")
    window_start: datetime = Field(sa_type=DateTime(timezone=True))
    count: int = 0


class ApiIdempotency(IdMixin, TenantMixin, table=True):
    """The stored answer to a creating call, replayed for the same key (per tenant)."""

    __tablename__ = "api_idempotency"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key", name="uq_api_idempotency_key"),
        ForeignKeyConstraint(["tenant_id", "token_id"], ["api_token.tenant_id", "api_token.id"], ondelete="CASCADE"),
    )

    key: str = Field(max_length=IDEMPOTENCY_KEY_MAX)
    token_id: uuid.UUID
    # SHA-256 of method, path and body: the same key sent with another request is refused.
    request_hash: str = Field(max_length=64)
    status_code: int = 0
    body: str = ""
    content_type: str = Field(default="application/json", max_length=100)
    location: str = Field(default="", max_length=300)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
