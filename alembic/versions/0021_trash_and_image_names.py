"""trash and image names: deleted notes, memory entries, images, workflows and reports kept for
30 days; each image keeps the name it was uploaded with (shown in the lightbox)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:00:00

One tenant table, RLS enabled and forced with the standard policy: each item holds the rows it
was (as JSON) and the storage keys of its files, which stay until it is restored or purged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op
from nyx_app.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trash_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("file_keys", postgresql.ARRAY(sa.String(length=400)), nullable=False),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["deleted_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_trash_item_tenant_id"), "trash_item", ["tenant_id"], unique=False)
    op.create_index("ix_trash_item_tenant_deleted", "trash_item", ["tenant_id", "deleted_at"], unique=False)
    for statement in enable_tenant_rls("trash_item"):
        op.execute(statement)
    # Images uploaded before this have no name to show ("" reads as "image N" on the page).
    op.add_column(
        "note_image",
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=""),
    )
    op.alter_column("note_image", "file_name", server_default=None)


def downgrade() -> None:
    op.drop_column("note_image", "file_name")
    for statement in disable_tenant_rls("trash_item"):
        op.execute(statement)
    op.drop_index("ix_trash_item_tenant_deleted", table_name="trash_item")
    op.drop_index(op.f("ix_trash_item_tenant_id"), table_name="trash_item")
    op.drop_table("trash_item")
