"""auth throttle: counters of failed logins and registrations, shared by every process

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not a tenant table (no tenant_id, no RLS): like auth_session, only the auth services use it.
    op.create_table(
        "auth_throttle",
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index(op.f("ix_auth_throttle_window_ends_at"), "auth_throttle", ["window_ends_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_throttle_window_ends_at"), table_name="auth_throttle")
    op.drop_table("auth_throttle")
