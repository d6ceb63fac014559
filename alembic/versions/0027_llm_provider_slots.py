"""llm provider slots: the per-provider concurrency limit holds over every worker process

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 22:00:00

One row per call in flight to a tenant's provider account (services/engine/limits.py). Taking a
slot counts the live rows under an advisory lock of the (tenant, provider) pair, so two processes
never both take the last one; a row whose holder stopped renewing it (a killed worker) expires.

``nyx_metrics_rows()`` gives /metrics (services/metrics.py) its figures over every tenant: the app
role sees one tenant at a time under forced RLS, so the function visits them one by one (as the
sweeps do) and returns rows per tenant that the caller sums. SECURITY INVOKER: it sees nothing the
app role could not see tenant by tenant, and returns counts only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from nyx_app.db.rls import enable_tenant_rls

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "llm_provider_slot",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_llm_provider_slot_tenant_id"), "llm_provider_slot", ["tenant_id"], unique=False)
    op.create_index(
        "ix_llm_provider_slot_tenant_provider", "llm_provider_slot", ["tenant_id", "provider"], unique=False
    )
    for statement in enable_tenant_rls("llm_provider_slot"):
        op.execute(statement)
    op.execute(
        """
        CREATE FUNCTION nyx_metrics_rows(p_window interval)
        RETURNS TABLE(metric text, label_a text, label_b text, value double precision)
        LANGUAGE plpgsql SECURITY INVOKER AS $$
        DECLARE t uuid;
        BEGIN
            FOR t IN SELECT id FROM tenant LOOP
                PERFORM set_config('app.tenant_id', t::text, true);
                RETURN QUERY SELECT 'runs'::text, r.status::text, ''::text, count(*)::float8
                               FROM run r GROUP BY r.status;
                RETURN QUERY SELECT 'llm_calls', c.provider::text, c.status::text, count(*)::float8
                               FROM llm_call c WHERE c.created_at > now() - p_window GROUP BY c.provider, c.status;
                RETURN QUERY SELECT 'llm_tokens', c.provider::text, 'in', sum(c.tokens_in)::float8
                               FROM llm_call c WHERE c.created_at > now() - p_window GROUP BY c.provider;
                RETURN QUERY SELECT 'llm_tokens', c.provider::text, 'out', sum(c.tokens_out)::float8
                               FROM llm_call c WHERE c.created_at > now() - p_window GROUP BY c.provider;
                RETURN QUERY SELECT 'llm_cost_usd', c.provider::text, '', sum(c.cost_usd)::float8
                               FROM llm_call c WHERE c.created_at > now() - p_window GROUP BY c.provider;
                RETURN QUERY SELECT 'step_seconds_sum', '', '',
                                    coalesce(sum(extract(epoch FROM s.finished_at - s.started_at)), 0)::float8
                               FROM step_run s WHERE s.finished_at > now() - p_window AND s.started_at IS NOT NULL;
                RETURN QUERY SELECT 'step_count', '', '', count(*)::float8
                               FROM step_run s WHERE s.finished_at > now() - p_window AND s.started_at IS NOT NULL;
            END LOOP;
            PERFORM set_config('app.tenant_id', '', true);
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS nyx_metrics_rows(interval)")
    op.drop_table("llm_provider_slot")
