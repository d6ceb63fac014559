"""Is this process ready to serve? Each shared dependency answers within a time limit.

``/readyz`` (api/health.py) asks these: the database (one ``SELECT 1`` as the app role), Redis
when the state manager uses it (``PING``), and the file storage (the directory writable, or the
bucket reachable). A load balancer stops sending browsers to a process whose answer is not ready,
and a process that is stopping says so first (``mark_stopping``), so the balancer drains it before
its connections close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text

from nyx_app.db.engine import app_engine
from nyx_app.integrations.storage import get_storage
from nyx_app.settings import get_settings

_stopping = False


def mark_stopping() -> None:
    """From now on this process reports itself not ready (graceful stop: drain first)."""
    global _stopping
    _stopping = True


def is_stopping() -> bool:
    return _stopping


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str  # "ok", "not used", or what failed, in words
    seconds: float


async def _database() -> str:
    async with app_engine().connect() as conn:
        await conn.execute(text("SELECT 1"))
    return "ok"


async def _redis() -> str:
    url = get_settings().redis_url
    if not url:
        return "not used"
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.ping()  # type: ignore[misc]  # redis-py types ping() for sync and async clients at once
    finally:
        await client.aclose()
    return "ok"


async def _storage() -> str:
    await asyncio.to_thread(get_storage().ready)
    return "ok"


async def _timed(name: str, probe: Callable[[], Awaitable[str]], limit: float) -> Check:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe(), limit)
        ok = True
    except TimeoutError:
        ok, detail = False, f"no answer within {limit:g} s"
    except Exception as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"[:300]
    return Check(name, ok, detail, round(time.perf_counter() - started, 4))


async def readiness() -> list[Check]:
    """The three checks, run at once; each bounded by ``NYX_READY_TIMEOUT_SECONDS``."""
    limit = get_settings().ready_timeout_seconds
    probes = {"database": _database, "redis": _redis, "storage": _storage}
    return list(await asyncio.gather(*(_timed(name, probe, limit) for name, probe in probes.items())))
