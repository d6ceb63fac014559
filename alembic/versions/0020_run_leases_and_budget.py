"""run leases and budget: an executor owns a run through a lease epoch; calls reserve budget first

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:00:00

Fencing. An executor claims a run when it loads it (``nyx_claim_run``: the run row locked FOR
UPDATE, its ``lease_epoch`` bumped) and every one of its writes starts with ``nyx_hold_run``, which
takes FOR KEY SHARE on the run row only while the epoch is still its own and the run is running,
else raises SQLSTATE NX001. A worker that froze and woke up again, after another took its run
over, is refused at its next write; a deleted run (its project deleted) refuses every write.
FOR KEY SHARE, not FOR SHARE: it does not conflict with the ordinary UPDATEs of the run row
(heartbeat, status, cancel), so a step's write never waits for them and two writers of the run row
cannot deadlock, yet a claim (FOR UPDATE) and a DELETE wait for the step transactions in flight,
and a hold that waited re-checks the epoch of the row the claim left (READ COMMITTED).
Both functions end their transaction if its client stops talking inside it for 10 s (a frozen
process must not keep the row locked for whoever takes over).

Budget. ``llm_reservation`` holds the worst-case cost of calls in flight: a call reserves before
it is sent and its reservation goes in the transaction that logs its attempt (or expires).
``provider_credential.model_prices`` is the price a tenant sets for its endpoints' models.

Runs of workflows deleted before now stop pointing at them (deleting a workflow detaches its runs
from now on), so their pages no longer offer "Open the workflow" leading to a 404.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op
from nyx_app.db.rls import enable_tenant_rls

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IDLE_LIMIT = "10s"


def upgrade() -> None:
    op.add_column("run", sa.Column("lease_epoch", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column(
        "run",
        sa.Column("lease_holder", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="", nullable=False),
    )
    op.add_column(
        "provider_credential",
        sa.Column(
            "model_prices", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
    )
    op.create_table(
        "llm_reservation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("amount_usd", sa.Numeric(precision=14, scale=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_llm_reservation_tenant_id"), "llm_reservation", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_llm_reservation_call_id"), "llm_reservation", ["call_id"], unique=False)
    for statement in enable_tenant_rls("llm_reservation"):
        op.execute(statement)
    op.execute(
        f"""
        CREATE FUNCTION nyx_claim_run(p_run uuid, p_holder text) RETURNS bigint
        LANGUAGE plpgsql SECURITY INVOKER AS $$
        DECLARE epoch bigint;
        BEGIN
            PERFORM set_config('idle_in_transaction_session_timeout', '{IDLE_LIMIT}', true);
            -- FOR UPDATE waits for the step transactions of the previous holder still in flight.
            PERFORM 1 FROM run WHERE id = p_run FOR UPDATE;
            UPDATE run SET lease_epoch = lease_epoch + 1, lease_holder = left(p_holder, 200),
                           heartbeat_at = now()
             WHERE id = p_run AND status IN ('pending', 'running', 'waiting')
            RETURNING lease_epoch INTO epoch;
            RETURN epoch;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION nyx_hold_run(p_run uuid, p_epoch bigint) RETURNS void
        LANGUAGE plpgsql SECURITY INVOKER AS $$
        BEGIN
            PERFORM set_config('idle_in_transaction_session_timeout', '{IDLE_LIMIT}', true);
            PERFORM 1 FROM run WHERE id = p_run AND lease_epoch = p_epoch AND status = 'running'
                FOR KEY SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'run % is no longer held at lease epoch %', p_run, p_epoch
                    USING ERRCODE = 'NX001';
            END IF;
        END
        $$
        """
    )

    # Migrations run as the owner, whom FORCE ROW LEVEL SECURITY binds too: tenant by tenant.
    op.execute(
        """
        DO $$
        DECLARE t uuid;
        BEGIN
            FOR t IN SELECT id FROM tenant LOOP
                PERFORM set_config('app.tenant_id', t::text, true);
                UPDATE run SET workflow_id = NULL
                 WHERE workflow_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workflow w WHERE w.id = run.workflow_id);
            END LOOP;
            PERFORM set_config('app.tenant_id', '', true);
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS nyx_hold_run(uuid, bigint)")
    op.execute("DROP FUNCTION IF EXISTS nyx_claim_run(uuid, text)")
    op.drop_index(op.f("ix_llm_reservation_call_id"), table_name="llm_reservation")
    op.drop_index(op.f("ix_llm_reservation_tenant_id"), table_name="llm_reservation")
    op.drop_table("llm_reservation")
    op.drop_column("provider_credential", "model_prices")
    op.drop_column("run", "lease_holder")
    op.drop_column("run", "lease_epoch")
