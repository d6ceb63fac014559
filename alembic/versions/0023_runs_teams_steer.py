"""runs that teams steer: pause and resume, re-run from a step

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 22:00:00

Pause. ``run.pause_requested`` is what a person asked a running run (``finish``: the steps in
flight finish, ``now``: their calls stop); its executor writes ``paused`` and ends, so no worker
holds a paused run, and ``nyx_claim_run`` (0020) never claims one (it claims only pending, running
and waiting runs). ``paused_by``/``paused_at`` say who and when. The partial index of active runs
counts paused runs too: a paused run still holds its workflow (one active run per workflow).

Re-run. ``run.rerun_of`` is the run a re-run was made from (no foreign key: the run page says when
the earlier run is gone) and ``rerun_from`` the step it began at; ``step_run.reused_from`` marks a
step copied, answer and all, from the earlier run (it cost the re-run nothing).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"
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


def downgrade() -> None:
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
