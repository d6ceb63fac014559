"""job queue: procrastinate's schema (runs execute as procrastinate jobs)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:05:00

The schema SQL comes from the pinned procrastinate package (3.10). A later procrastinate upgrade
brings its own migration files (procrastinate/sql/migrations): apply them in a new revision.
"""

from collections.abc import Sequence

from procrastinate.schema import SchemaManager

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")
TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status")


def upgrade() -> None:
    op.execute(SchemaManager.get_schema())


def downgrade() -> None:
    op.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
    op.execute(
        """
        DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT oid::regprocedure FROM pg_proc
                     WHERE proname LIKE 'procrastinate%' AND pronamespace = 'public'::regnamespace LOOP
                EXECUTE 'DROP FUNCTION ' || f || ' CASCADE';
            END LOOP;
        END $$;
        """
    )
    op.execute(f"DROP TYPE IF EXISTS {', '.join(TYPES)} CASCADE")
