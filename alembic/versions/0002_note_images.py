"""note images: several images per note (or memory entry), with order and description

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from nyx_app.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "note_image",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("memory_id", sa.Uuid(), nullable=True),
        sa.Column("image_key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("thumb_key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "memory_id"], ["memory_entry.tenant_id", "memory_entry.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "note_id"], ["project_note.tenant_id", "project_note.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("note_id", "image_key"),
    )
    op.create_index(op.f("ix_note_image_memory_id"), "note_image", ["memory_id"], unique=False)
    op.create_index(op.f("ix_note_image_note_id"), "note_image", ["note_id"], unique=False)
    op.create_index(op.f("ix_note_image_tenant_id"), "note_image", ["tenant_id"], unique=False)
    for stmt in enable_tenant_rls("note_image"):
        op.execute(stmt)


def downgrade() -> None:
    for stmt in disable_tenant_rls("note_image"):
        op.execute(stmt)
    op.drop_index(op.f("ix_note_image_tenant_id"), table_name="note_image")
    op.drop_index(op.f("ix_note_image_note_id"), table_name="note_image")
    op.drop_index(op.f("ix_note_image_memory_id"), table_name="note_image")
    op.drop_table("note_image")
