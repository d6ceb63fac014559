"""Tenants, users, memberships and server-side login sessions.

tenant, app_user and auth_session are not tenant-scoped: only the auth service touches them.
membership is tenant-scoped, but also readable by its own user (the tenant switcher needs that).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin

NAME_MAX = 120
EMAIL_MAX = 254


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class Tenant(IdMixin, TimestampMixin, table=True):
    name: str = Field(max_length=NAME_MAX)


class User(IdMixin, TimestampMixin, table=True):
    __tablename__ = "app_user"

    email: str = Field(max_length=EMAIL_MAX, unique=True, index=True)
    name: str = Field(max_length=NAME_MAX)
    password_hash: str


class Membership(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    role: str = Field(default=Role.MEMBER.value, max_length=16)


class AuthSession(IdMixin, TimestampMixin, table=True):
    """A login. The browser holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "auth_session"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # The tenant this login is working in; switched by the tenant switcher.
    tenant_id: uuid.UUID | None = Field(default=None, foreign_key="tenant.id", ondelete="SET NULL")
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class MemberPublic(SQLModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: str
