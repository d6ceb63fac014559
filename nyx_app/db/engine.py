"""Engines: an async pooled engine for the app role, a sync engine for the owner role."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from nyx_app.db.urls import app_url, owner_url
from nyx_app.settings import get_settings


@lru_cache(maxsize=1)
def app_engine() -> AsyncEngine:
    """The engine every request and job uses. Connects as the RLS-bound app role."""
    settings = get_settings()
    return create_async_engine(
        app_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


@lru_cache(maxsize=1)
def owner_engine() -> Engine:
    """Owner role: migrations, admin commands, and test set-up. Never used by requests."""
    return create_engine(owner_url(), pool_pre_ping=True)


async def dispose_engines() -> None:
    if app_engine.cache_info().currsize:
        await app_engine().dispose()
        app_engine.cache_clear()
    if owner_engine.cache_info().currsize:
        owner_engine().dispose()
        owner_engine.cache_clear()
