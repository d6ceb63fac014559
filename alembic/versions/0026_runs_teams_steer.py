"""runs that teams steer: pause and resume, re-run from a step

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 22:00:00

Pause. ``run.pause_requested`` is what a person asked a running run (``finish``: the steps in
flight finish, ``now``: their calls stop); its executor writes ``paused`` and ends, so no worker
holds a paused run, and ``nyx_claim_run`` (0020) never claims one (it claims only pending, running
and waiting runs). ``paused_by``/``paused_at`` say who and when. The partial index of active runs
counts paused runs too: a paused run still holds its workflow (one active run per workflow).

Re-run. ``run.rerun_of`` is the run a re-run was made from (no foreign key: the run page says when
the earlier run is gone) and ``rerun_from`` the step it began at; ``step_run.reused_from`` marks a
step copied, answer and all, from the earlier run (it cost the re-run nothing).

Notifications. ``notification`` (one row per recipient; deleted with its project or user) and
``notification_setting`` (per person and workspace: kinds muted, browser notifications on or off):
tenant tables, RLS enabled and forced with the standard policy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op
from nyx_app.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "run",
        sa.Column("pause_requested", sqlmodel.sql.sqltypes.AutoString(length=8), server_default="", nullable=False),
    )
    op.add_column("run", sa.Column("paused_by", sa.Uuid(), nullable=True))
    op.add_column("run", sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("run", sa.Column("rerun_of", sa.Uuid(), nullable=True))
    op.add_column(
        "run", sa.Column("rerun_from", sqlmodel.sql.sqltypes.AutoString(length=60), server_default="", nullable=False)
    )
    op.add_column("step_run", sa.Column("reused_from", sa.Uuid(), nullable=True))
    op.create_foreign_key("run_paused_by_fkey", "run", "app_user", ["paused_by"], ["id"], ondelete="SET NULL")
    op.drop_index("ix_run_active", table_name="run")
    op.create_index(
        "ix_run_active",
        "run",
        ["project_id", "kind"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending','running','waiting','paused')"),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_notification_tenant_id"), "notification", ["tenant_id"], unique=False)
    op.create_index("ix_notification_user_unread", "notification", ["user_id", "read_at"], unique=False)
    op.create_table(
        "notification_setting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("muted", postgresql.ARRAY(sa.String(length=24)), nullable=False),
        sa.Column("browser", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_notification_setting_user"),
    )
    op.create_index(op.f("ix_notification_setting_tenant_id"), "notification_setting", ["tenant_id"], unique=False)
    for table in ("notification", "notification_setting"):
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in ("notification_setting", "notification"):
        for statement in disable_tenant_rls(table):
            op.execute(statement)
        op.drop_table(table)
    op.drop_index("ix_run_active", table_name="run")
    # Paused runs go back to failed (resumable) where no pause exists.
    op.execute(
        """
        DO $$
        DECLARE t uuid;
        BEGIN
            FOR t IN SELECT id FROM tenant LOOP
                PERFORM set_config('app.tenant_id', t::text, true);
                UPDATE run SET status = 'failed', error = 'Paused before a downgrade; resume it to go on.',
                               finished_at = now()
                 WHERE status = 'paused';
            END LOOP;
            PERFORM set_config('app.tenant_id', '', true);
        END
        $$
        """
    )
    op.create_index(
        "ix_run_active",
        "run",
        ["project_id", "kind"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending','running','waiting')"),
    )
    op.drop_constraint("run_paused_by_fkey", "run", type_="foreignkey")
    op.drop_column("step_run", "reused_from")
    op.drop_column("run", "rerun_from")
    op.drop_column("run", "rerun_of")
    op.drop_column("run", "paused_at")
    op.drop_column("run", "paused_by")
    op.drop_column("run", "pause_requested")
