"""session change notify: a NOTIFY on nyx_sessions whenever a login or a membership changes

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 07:30:00

Pages that watch a run keep who is watching in memory between reads (``live/sessions.py``), and
forget it when this channel speaks. Triggers, not calls in the services: every way a login ends
or a membership changes (logout, revocation, password change, tenant switch, member removal,
role change, a deleted user or workspace cascading) passes through these two tables. Writing
``last_seen_at`` (at most once a minute per login) does not notify.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "nyx_sessions"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION nyx_notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER auth_session_changed AFTER UPDATE OF revoked_at, expires_at, tenant_id, user_id "
        "OR DELETE ON auth_session FOR EACH STATEMENT EXECUTE FUNCTION nyx_notify_session_change()"
    )
    op.execute(
        "CREATE TRIGGER membership_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON membership "
        "FOR EACH STATEMENT EXECUTE FUNCTION nyx_notify_session_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS membership_changed ON membership")
    op.execute("DROP TRIGGER IF EXISTS auth_session_changed ON auth_session")
    op.execute("DROP FUNCTION IF EXISTS nyx_notify_session_change()")
