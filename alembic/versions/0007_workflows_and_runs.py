"""workflows and runs: saved workflow definitions, runs, their steps, and approved review insights

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 20:01:55.762791
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op
from nyx_app.db.rls import disable_tenant_rls, enable_tenant_rls

TENANT_TABLES = ("workflow", "run", "step_run", "workflow_insight")
revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=14, scale=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["started_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_run_tenant_id_id"),
    )
    op.create_index(
        "ix_run_active",
        "run",
        ["project_id", "kind"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending','running','waiting')"),
    )
    op.create_index("ix_run_project_created", "run", ["project_id", "created_at"], unique=False)
    op.create_index(op.f("ix_run_project_id"), "run", ["project_id"], unique=False)
    op.create_index(op.f("ix_run_tenant_id"), "run", ["tenant_id"], unique=False)
    op.create_table(
        "workflow",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_workflow_project_name"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_workflow_tenant_id_id"),
    )
    op.create_index(op.f("ix_workflow_project_id"), "workflow", ["project_id"], unique=False)
    op.create_index(op.f("ix_workflow_tenant_id"), "workflow", ["tenant_id"], unique=False)
    op.create_table(
        "step_run",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("item", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("prompt", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("output", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("output_data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("call_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("context_note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("review_note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=14, scale=8), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["reviewed_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "key", "item_index", name="uq_step_run_key_item"),
    )
    op.create_index(op.f("ix_step_run_run_id"), "step_run", ["run_id"], unique=False)
    op.create_index(op.f("ix_step_run_tenant_id"), "step_run", ["tenant_id"], unique=False)
    op.create_table(
        "workflow_insight",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("step_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_workflow_insight_project_id"), "workflow_insight", ["project_id"], unique=False)
    op.create_index(op.f("ix_workflow_insight_run_id"), "workflow_insight", ["run_id"], unique=False)
    op.create_index(op.f("ix_workflow_insight_tenant_id"), "workflow_insight", ["tenant_id"], unique=False)
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in disable_tenant_rls(table):
            op.execute(statement)
    op.drop_index(op.f("ix_workflow_insight_tenant_id"), table_name="workflow_insight")
    op.drop_index(op.f("ix_workflow_insight_run_id"), table_name="workflow_insight")
    op.drop_index(op.f("ix_workflow_insight_project_id"), table_name="workflow_insight")
    op.drop_table("workflow_insight")
    op.drop_index(op.f("ix_step_run_tenant_id"), table_name="step_run")
    op.drop_index(op.f("ix_step_run_run_id"), table_name="step_run")
    op.drop_table("step_run")
    op.drop_index(op.f("ix_workflow_tenant_id"), table_name="workflow")
    op.drop_index(op.f("ix_workflow_project_id"), table_name="workflow")
    op.drop_table("workflow")
    op.drop_index(op.f("ix_run_tenant_id"), table_name="run")
    op.drop_index(op.f("ix_run_project_id"), table_name="run")
    op.drop_index("ix_run_project_created", table_name="run")
    op.drop_index(
        "ix_run_active", table_name="run", postgresql_where=sa.text("status IN ('pending','running','waiting')")
    )
    op.drop_table("run")
