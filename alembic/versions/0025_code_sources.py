"""code sources: a project's imported repository and the files of its last sync

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-07 21:59:12.498616

- ``code_source``: one per project — URL, branch, scan path, the token (Fernet, like provider
  keys), what the last successful sync found (commit, counts).
- ``source_file``: every path under the scan path at that commit: language, size, lines, or the
  rule that skipped it; the blob id lets a re-sync re-read only what changed.

- ``code_pattern``: a code analysis run's findings (architecture, convention, risk) with their
  files; each is a search item of kind ``code_pattern`` (the trigger from db/knowledge_sql.py), so
  ``{{code_patterns}}`` and note enrichment retrieve it.

All are tenant tables (RLS enabled and forced, the standard policy) with composite foreign keys.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op
from nyx_app.db.knowledge_sql import SyncSpec, drop_sync_statements, sync_statements
from nyx_app.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0025"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("code_source", "source_file", "code_pattern")
# Written here, not imported: a migration must keep meaning what it meant.
PATTERN_SPEC = SyncSpec(
    "code_pattern", "code_pattern", title="{r}.title",
    body="{r}.text || CASE WHEN jsonb_array_length({r}.files) > 0 THEN chr(10) || 'Files: ' || "
    "(SELECT string_agg(f, ', ') FROM jsonb_array_elements_text({r}.files) f) ELSE '' END",
    updated="{r}.updated_at", update_of="title, text, files, project_id",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "code_source",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("scan_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("token_encrypted", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("token_last4", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("synced_branch", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("commit_sha", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", name="uq_code_source_project"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_code_source_tenant_id_id"),
    )
    op.create_index(op.f("ix_code_source_tenant_id"), "code_source", ["tenant_id"], unique=False)
    op.create_table(
        "source_file",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("blob_sha", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("skipped", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("symbols", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "source_id"], ["code_source.tenant_id", "code_source.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "path", name="uq_source_file_path"),
    )
    op.create_index(op.f("ix_source_file_source_id"), "source_file", ["source_id"], unique=False)
    op.create_index(op.f("ix_source_file_tenant_id"), "source_file", ["tenant_id"], unique=False)
    op.create_table(
        "code_pattern",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("files", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_code_pattern_tenant_id_id"),
    )
    op.create_index(op.f("ix_code_pattern_project_id"), "code_pattern", ["project_id"], unique=False)
    op.create_index(op.f("ix_code_pattern_run_id"), "code_pattern", ["run_id"], unique=False)
    op.create_index(op.f("ix_code_pattern_tenant_id"), "code_pattern", ["tenant_id"], unique=False)
    for table in TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for statement in sync_statements(PATTERN_SPEC):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_sync_statements(PATTERN_SPEC):
        op.execute(statement)
    op.execute("DELETE FROM knowledge_item WHERE kind = 'code_pattern'")
    for table in TABLES:
        for statement in disable_tenant_rls(table):
            op.execute(statement)
    op.drop_index(op.f("ix_code_pattern_tenant_id"), table_name="code_pattern")
    op.drop_index(op.f("ix_code_pattern_run_id"), table_name="code_pattern")
    op.drop_index(op.f("ix_code_pattern_project_id"), table_name="code_pattern")
    op.drop_table("code_pattern")
    op.drop_index(op.f("ix_source_file_tenant_id"), table_name="source_file")
    op.drop_index(op.f("ix_source_file_source_id"), table_name="source_file")
    op.drop_table("source_file")
    op.drop_index(op.f("ix_code_source_tenant_id"), table_name="code_source")
    op.drop_table("code_source")
