"""The procrastinate app. Built at import without connecting: the pool is created when a worker
or a deferring process opens it, from the settings of that moment."""

from __future__ import annotations

from typing import Any

import procrastinate
import psycopg_pool

from nyx_app.db.urls import app_url, libpq_url
from nyx_app.settings import get_settings


def _pool(**kwargs: Any) -> psycopg_pool.AsyncConnectionPool:
    settings = get_settings()
    return psycopg_pool.AsyncConnectionPool(
        conninfo=libpq_url(app_url()), min_size=1, max_size=settings.worker_concurrency + 4, **kwargs
    )


proc_app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(pool_factory=_pool),
    import_paths=["nyx_app.jobs.tasks", "nyx_app.jobs.webhook_tasks"],
)
