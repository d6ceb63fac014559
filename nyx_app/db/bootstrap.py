"""Create the database and its two roles, migrate, and grant the app role what it needs.

Owner role: owns the tables, runs migrations. App role: LOGIN, NOSUPERUSER, NOBYPASSRLS, owns
nothing, so row-level security binds it.
"""

from __future__ import annotations

from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from alembic import command
from nyx_app.db.urls import admin_url, app_url, owner_url
from nyx_app.settings import ROOT_DIR, Settings

ALEMBIC_INI = ROOT_DIR / "alembic.ini"


class DatabaseSetupError(RuntimeError):
    """The configured database cannot be prepared; the message says what to change."""


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_embedded_database(settings: Settings, *, recreate: bool = False) -> None:
    """Embedded server only: create roles and database as the superuser."""
    admin = create_engine(admin_url(settings), isolation_level="AUTOCOMMIT")
    owner, app, db = settings.owner_role, settings.app_role, settings.database_name
    with admin.connect() as conn:
        roles = set(conn.scalars(text("SELECT rolname FROM pg_roles")))
        if owner not in roles:
            conn.execute(text(f"CREATE ROLE {_quote(owner)} LOGIN PASSWORD {_literal(settings.owner_password)}"))
        if app not in roles:
            conn.execute(text(f"CREATE ROLE {_quote(app)} LOGIN PASSWORD {_literal(settings.app_password)}"))
        # Whatever happened before, the app role must be bound by RLS.
        conn.execute(text(f"ALTER ROLE {_quote(app)} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"))
        conn.execute(text(f"ALTER ROLE {_quote(owner)} NOSUPERUSER NOBYPASSRLS"))
        if recreate:
            conn.execute(text(f"DROP DATABASE IF EXISTS {_quote(db)} WITH (FORCE)"))
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db})
        if not exists:
            conn.execute(text(f"CREATE DATABASE {_quote(db)} OWNER {_quote(owner)}"))
    admin.dispose()
    in_db = create_engine(make_url(admin_url(settings)).set(database=db), isolation_level="AUTOCOMMIT")
    with in_db.connect() as conn:
        # pgvector is not a trusted extension: the superuser creates it, migrations only assert it.
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        conn.execute(text(FTS_LEAKPROOF))
    in_db.dispose()


# Full-text search under row-level security: ``tsvector @@ tsquery`` (the function ts_match_vq) is
# not marked LEAKPROOF, so PostgreSQL checks the tenant policy on every row first and never uses
# the GIN index: the workspace search's word leg read the whole tenant (50,000 rows: ~90 ms p50)
# where the index answers in ~6 ms (scripts/bench/knowledge_p4.py). Marking it LEAKPROOF lets the
# index run before the policy; the policy still removes every other tenant's row. The risk it
# opens is that the function could tell something about a row it sees before the policy through
# an error: ts_match_vq returns a boolean from the row's tsvector and the query, and the query is
# already parsed (websearch_to_tsquery) before any row is read, so no row's content can make it
# fail. A superuser decision, per database: the embedded server's bootstrap (superuser) makes
# it; on an external PostgreSQL an administrator may run the same statement (README), and search
# stays correct without it, only slower.
FTS_LEAKPROOF = "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF"


def check_external_roles(settings: Settings) -> None:
    """With DATABASE_URL: the app role must exist and be bound by RLS; say what to do if not."""
    engine = create_engine(owner_url(settings))
    app_user = make_url(app_url(settings)).username
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": app_user}
        ).first()
    engine.dispose()
    if row is None:
        raise DatabaseSetupError(
            f"The app role {app_user!r} does not exist. Create it: CREATE ROLE {app_user} LOGIN "
            "PASSWORD '...' NOSUPERUSER NOBYPASSRLS; and set APP_DATABASE_URL to connect as it."
        )
    if row.rolsuper or row.rolbypassrls:
        raise DatabaseSetupError(
            f"The app role {app_user!r} is superuser or BYPASSRLS, so tenant isolation would not apply. "
            f"Run: ALTER ROLE {app_user} NOSUPERUSER NOBYPASSRLS;"
        )


def alembic_config(settings: Settings) -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.attributes["url"] = owner_url(settings)
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def grant_app_role(settings: Settings) -> None:
    """DML on every table (and on tables later migrations add), nothing on alembic_version."""
    app = _quote(make_url(app_url(settings)).username or settings.app_role)
    engine = create_engine(owner_url(settings))
    with engine.begin() as conn:
        for stmt in (
            f"GRANT USAGE ON SCHEMA public TO {app}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
            f"REVOKE ALL ON TABLE alembic_version FROM {app}",
            # The audit log is append-only for the app: rows are added and read, never changed or
            # removed; old ones go only through the owner's purge function (migration 0019).
            f"REVOKE UPDATE, DELETE, TRUNCATE ON TABLE audit_event FROM {app}",
            f"GRANT EXECUTE ON FUNCTION nyx_purge_audit_events(integer) TO {app}",
        ):
            conn.execute(text(stmt))
    engine.dispose()


def prepare(settings: Settings, *, recreate: bool = False) -> None:
    """Everything between "a PostgreSQL is reachable" and "the app can start"."""
    if settings.uses_embedded_db:
        ensure_embedded_database(settings, recreate=recreate)
    else:
        check_external_roles(settings)
    migrate(settings)
    grant_app_role(settings)
