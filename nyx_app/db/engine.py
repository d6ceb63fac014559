"""Engines: an async pooled engine for the app role, a sync engine for the owner role."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from nyx_app.db.urls import app_url, owner_url
from nyx_app.settings import get_settings

# A connection handed back to the pool moments ago is alive; one that sat idle may have been cut
# (a database restart, a proxy's idle timeout). Only those are pinged before use: pool_pre_ping
# pings at every checkout, a round trip per transaction (two per run step) that found nothing.
PING_IF_IDLE_SECONDS = 5.0
_RETURNED_AT = "nyx_returned_at"


def _ping_connections_that_sat_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "connect")
    @event.listens_for(pool, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get(_RETURNED_AT, 0.0) <= PING_IF_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError(f"an idle pooled connection was gone: {exc}") from exc


@lru_cache(maxsize=1)
def app_engine() -> AsyncEngine:
    """The engine every request and job uses. Connects as the RLS-bound app role."""
    settings = get_settings()
    engine = create_async_engine(
        app_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    _ping_connections_that_sat_idle(engine)
    return engine


@lru_cache(maxsize=1)
def search_engine() -> AsyncEngine:
    """The app role again, for vector search: its connections never prepare statements on the
    server (``prepare_threshold=None``). psycopg prepares a statement after 5 runs and the server
    may then keep a generic plan for it, one that ignores a later ``SET`` of the HNSW settings and
    the per-dimension partial indexes (RECIPES.md, "pgvector under RLS"). A small pool of its own."""
    settings = get_settings()
    engine = create_async_engine(
        app_url(settings),
        pool_size=max(2, settings.db_pool_size // 4),
        max_overflow=settings.db_max_overflow,
        connect_args={"prepare_threshold": None},
    )
    _ping_connections_that_sat_idle(engine)
    return engine


@lru_cache(maxsize=1)
def owner_engine() -> Engine:
    """Owner role: migrations, admin commands, and test set-up. Never used by requests."""
    return create_engine(owner_url(), pool_pre_ping=True)


async def dispose_engines() -> None:
    if app_engine.cache_info().currsize:
        await app_engine().dispose()
        app_engine.cache_clear()
    if search_engine.cache_info().currsize:
        await search_engine().dispose()
        search_engine.cache_clear()
    if owner_engine.cache_info().currsize:
        owner_engine().dispose()
        owner_engine.cache_clear()
