"""llm spend month: what each tenant's LLM calls cost per calendar month, kept by a trigger

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 17:05:00

The budget check runs before every LLM call and summed the whole month's llm_call rows: 100 ms
at 200,000 attempts, before each step of every run. A trigger on llm_call adds each attempt's cost
to its tenant's row for that month (UTC), so the check reads one row. A trigger, not the call
path: every insert of an attempt, whoever makes it, is counted. Attempts that cost nothing (refused,
skipped, failed before an answer) do not touch the row, so they never wait on its lock.
Existing attempts are counted once here.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from nyx_app.db.rls import enable_tenant_rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTH_OF = "date_trunc('month', {} AT TIME ZONE 'UTC')::date"


def upgrade() -> None:
    op.create_table(
        "llm_spend_month",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(16, 8), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "month"),
    )
    for statement in enable_tenant_rls("llm_spend_month"):
        op.execute(statement)
    op.execute(
        f"""
        CREATE FUNCTION nyx_count_llm_spend() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.cost_usd = 0 THEN
                RETURN NULL;
            END IF;
            INSERT INTO llm_spend_month (tenant_id, month, cost_usd)
            VALUES (NEW.tenant_id, {MONTH_OF.format("NEW.created_at")}, NEW.cost_usd)
            ON CONFLICT (tenant_id, month)
            DO UPDATE SET cost_usd = llm_spend_month.cost_usd + EXCLUDED.cost_usd;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER llm_call_counts_spend AFTER INSERT ON llm_call "
        "FOR EACH ROW EXECUTE FUNCTION nyx_count_llm_spend()"
    )
    # Migrations run as the owner, whom FORCE ROW LEVEL SECURITY binds too: each tenant's
    # attempts are counted with that tenant set, as the app itself would see them.
    op.execute(
        f"""
        DO $$
        DECLARE t uuid;
        BEGIN
            FOR t IN SELECT id FROM tenant LOOP
                PERFORM set_config('app.tenant_id', t::text, true);
                INSERT INTO llm_spend_month (tenant_id, month, cost_usd)
                SELECT tenant_id, {MONTH_OF.format("created_at")}, sum(cost_usd)
                FROM llm_call WHERE tenant_id = t AND cost_usd <> 0 GROUP BY 1, 2;
            END LOOP;
            PERFORM set_config('app.tenant_id', '', true);
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS llm_call_counts_spend ON llm_call")
    op.execute("DROP FUNCTION IF EXISTS nyx_count_llm_spend()")
    op.drop_table("llm_spend_month")
