"""Column mixins shared by the tables. Timestamps are timezone-aware, ids are UUIDs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, func
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class IdMixin(SQLModel):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class TimestampMixin(SQLModel):
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False},
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False, "onupdate": utcnow},
    )


class TenantMixin(SQLModel):
    """Every tenant table carries tenant_id; RLS compares it with app.tenant_id."""

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", ondelete="CASCADE", index=True)
