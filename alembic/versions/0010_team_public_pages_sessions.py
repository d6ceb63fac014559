"""team and product quality: invitations, who invited whom, session device and last use,
public notes and the public read policies of published projects

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from nyx_app.db.rls import disable_public_read, disable_tenant_rls, enable_public_read, enable_tenant_rls

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["accepted_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_invitation_tenant_id_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_invitation_tenant_id"), "invitation", ["tenant_id"], unique=False)
    for stmt in enable_tenant_rls("invitation"):
        op.execute(stmt)

    op.add_column("membership", sa.Column("invited_by", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "membership_invited_by_fkey", "membership", "app_user", ["invited_by"], ["id"], ondelete="SET NULL"
    )

    op.add_column(
        "auth_session",
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False, server_default=""),
    )
    op.alter_column("auth_session", "user_agent", server_default=None)
    op.add_column("auth_session", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))

    op.add_column("project_note", sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.alter_column("project_note", "public", server_default=None)
    for stmt in enable_public_read():
        op.execute(stmt)


def downgrade() -> None:
    for stmt in disable_public_read():
        op.execute(stmt)
    op.drop_column("project_note", "public")
    op.drop_column("auth_session", "last_seen_at")
    op.drop_column("auth_session", "user_agent")
    op.drop_constraint("membership_invited_by_fkey", "membership", type_="foreignkey")
    op.drop_column("membership", "invited_by")
    for stmt in disable_tenant_rls("invitation"):
        op.execute(stmt)
    op.drop_index(op.f("ix_invitation_tenant_id"), table_name="invitation")
    op.drop_table("invitation")
