"""notes workspace: a stored search document on notes; drafts per user and note

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op
from nyx_app.db.rls import CURRENT_USER, disable_tenant_rls, enable_tenant_rls

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration must keep meaning what it meant when it ran.
SEARCH_DOCUMENT = "to_tsvector('simple'::regconfig, title || ' ' || content)"


def upgrade() -> None:
    # No GIN index: under row-level security `@@` (not LEAKPROOF) cannot be an index condition;
    # queries are narrowed by the project_id index and test the stored document per row.
    op.add_column(
        "project_note",
        sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(SEARCH_DOCUMENT, persisted=True)),
    )
    op.create_table(
        "note_draft",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "note_id"], ["project_note.tenant_id", "project_note.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("note_id", "user_id", name="uq_note_draft_note_user"),
    )
    op.create_index(op.f("ix_note_draft_tenant_id"), "note_draft", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_note_draft_user_id"), "note_draft", ["user_id"], unique=False)
    for stmt in enable_tenant_rls("note_draft"):
        op.execute(stmt)
    # A draft is its writer's alone: not even the tenant's owners read what someone has not saved.
    op.execute(
        f"CREATE POLICY own_drafts ON note_draft AS RESTRICTIVE "
        f"USING (user_id = {CURRENT_USER}) WITH CHECK (user_id = {CURRENT_USER})"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS own_drafts ON note_draft")
    for stmt in disable_tenant_rls("note_draft"):
        op.execute(stmt)
    op.drop_index(op.f("ix_note_draft_user_id"), table_name="note_draft")
    op.drop_index(op.f("ix_note_draft_tenant_id"), table_name="note_draft")
    op.drop_table("note_draft")
    op.drop_column("project_note", "search_vector")
