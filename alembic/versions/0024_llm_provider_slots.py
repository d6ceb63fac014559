"""llm provider slots: the per-provider concurrency limit holds over every worker process

Revision ID: 0024
Revises: 0020
Create Date: 2026-12-07 22:00:00

One row per call in flight to a tenant's provider account (services/engine/limits.py). Taking a
slot counts the live rows under an advisory lock of the (tenant, provider) pair, so two processes
never both take the last one; a row whose holder stopped renewing it (a killed worker) expires.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from nyx_app.db.rls import enable_tenant_rls

revision: str = "0024"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "llm_provider_slot",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_llm_provider_slot_tenant_id"), "llm_provider_slot", ["tenant_id"], unique=False)
    op.create_index(
        "ix_llm_provider_slot_tenant_provider", "llm_provider_slot", ["tenant_id", "provider"], unique=False
    )
    for statement in enable_tenant_rls("llm_provider_slot"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("llm_provider_slot")
