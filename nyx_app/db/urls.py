"""Where the owner and app roles connect. The only place that knows both URLs."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.engine import make_url

from nyx_app.db.embedded import superuser_url
from nyx_app.settings import Settings, get_settings


def _with_role(url: str, user: str, password: str, database: str | None = None) -> str:
    parsed = make_url(url).set(username=user, password=password)
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@lru_cache(maxsize=4)
def _embedded_superuser_url(pg_dir: str) -> str:
    from pathlib import Path

    return superuser_url(Path(pg_dir))


def admin_url(settings: Settings | None = None) -> str:
    """Superuser URL of the embedded server (only used to create the database and roles)."""
    s = settings or get_settings()
    if not s.uses_embedded_db:
        raise RuntimeError("admin_url() is only available for the embedded server")
    return _embedded_superuser_url(str(s.pg_data_dir))


def owner_url(settings: Settings | None = None) -> str:
    s = settings or get_settings()
    if s.database_url:
        return _normalise_driver(s.database_url)
    return _with_role(admin_url(s), s.owner_role, s.owner_password, s.database_name)


def app_url(settings: Settings | None = None) -> str:
    s = settings or get_settings()
    if s.app_database_url:
        return _normalise_driver(s.app_database_url)
    return _with_role(owner_url(s), s.app_role, s.app_password)


def _normalise_driver(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as psycopg/libpq take it (no "+driver"), for connections made without
    SQLAlchemy: the LISTEN connection and the job queue's pool."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
