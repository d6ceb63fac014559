"""Tenants, users, memberships, invitations and server-side login sessions.

tenant, app_user and auth_session are not tenant-scoped: only the auth services (auth, account,
workspaces) touch them. membership is tenant-scoped, but also readable by its own user (the
tenant switcher needs that). invitation is tenant-scoped like any content table.
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
USER_AGENT_MAX = 512


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
    # Who sent the invitation this membership came from (None: founded or added directly).
    invited_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class AuthSession(IdMixin, TimestampMixin, table=True):
    """A login. The browser holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "auth_session"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # The tenant this login is working in; switched by the tenant switcher.
    tenant_id: uuid.UUID | None = Field(default=None, foreign_key="tenant.id", ondelete="SET NULL")
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # What the login was made with (the sessions list names the device from it) and when it was
    # last used (auth.resolve writes it at most once a minute).
    user_agent: str = Field(default="", max_length=USER_AGENT_MAX)
    last_seen_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PasswordReset(IdMixin, TimestampMixin, table=True):
    """A "forgot password" link (services/password_reset.py). Like a login, the link's token is
    random and only its SHA-256 is stored; it works once, until it expires. Not tenant-scoped:
    only the password-reset service touches it."""

    __tablename__ = "password_reset"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Invitation(IdMixin, TenantMixin, TimestampMixin, table=True):
    """A link that lets one person join the tenant with a role. Like a login, the link's token is
    random and only its SHA-256 is stored; it works once, until it expires or is revoked."""

    __table_args__ = (UniqueConstraint("tenant_id", "id", name="uq_invitation_tenant_id_id"),)

    token_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    accepted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    accepted_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class MemberPublic(SQLModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    joined_at: datetime | None = None
    invited_by_name: str = ""
