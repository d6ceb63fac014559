"""llm providers: per-tenant provider credentials, the LLM attempt log, budget and fallback order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:35:48.920407
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from nyx_app.db.rls import disable_tenant_rls, enable_tenant_rls

TENANT_TABLES = ("provider_credential", "llm_call", "tenant_llm_settings")

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "llm_call",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("error_kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("error_message", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=14, scale=8), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_llm_call_call_id"), "llm_call", ["call_id"], unique=False)
    op.create_index("ix_llm_call_tenant_created", "llm_call", ["tenant_id", "created_at"], unique=False)
    op.create_index(op.f("ix_llm_call_tenant_id"), "llm_call", ["tenant_id"], unique=False)
    op.create_table(
        "provider_credential",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("base_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("key_ciphertext", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("models", sa.ARRAY(sa.String(length=120)), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name"),
    )
    op.create_index(op.f("ix_provider_credential_tenant_id"), "provider_credential", ["tenant_id"], unique=False)
    op.create_table(
        "tenant_llm_settings",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("monthly_budget_usd", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("fallback_order", sa.ARRAY(sa.String(length=200)), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    for table in TENANT_TABLES:
        for stmt in enable_tenant_rls(table):
            op.execute(stmt)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for stmt in disable_tenant_rls(table):
            op.execute(stmt)
    op.drop_table("tenant_llm_settings")
    op.drop_index(op.f("ix_provider_credential_tenant_id"), table_name="provider_credential")
    op.drop_table("provider_credential")
    op.drop_index(op.f("ix_llm_call_tenant_id"), table_name="llm_call")
    op.drop_index("ix_llm_call_tenant_created", table_name="llm_call")
    op.drop_index(op.f("ix_llm_call_call_id"), table_name="llm_call")
    op.drop_table("llm_call")
