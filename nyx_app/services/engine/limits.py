"""How many LLM calls may run at once: per run (set on each executor) and per provider account.

The provider limit is global: at most ``llm_provider_concurrency`` calls to one (tenant, provider)
at once over every worker process, so a tenant's fan-out cannot hammer its provider however many
workers there are, while other tenants are unaffected. Each call in flight holds a row of
``llm_provider_slot``; taking one counts the live rows under an advisory lock of the pair (two
processes never both take the last slot). The holder renews its row while it calls; a killed
worker's rows expire after ``NYX_WORKER_STALLED_SECONDS`` (6 s), when its runs move on too.
A process first queues its own callers on a semaphore of the same size, so it never asks the
database for more slots than it could hold; callers that find every slot taken by other processes
ask again, waiting a little longer each time. Cost: two short transactions per call, and one
renewal every third of the expiry while it lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)


def slot_seconds() -> float:
    """A slot not renewed for this long is free again (its holder died): as long as a worker may
    stay silent before its runs are taken over, so the new worker is not kept waiting for slots."""
    return max(get_settings().worker_stalled_seconds, 2.0)


FIRST_WAIT_S, LONGEST_WAIT_S = 0.02, 0.5

_GATES: dict[tuple[asyncio.AbstractEventLoop, uuid.UUID, str], asyncio.Semaphore] = {}
_HOLDER = f"{platform.node()}:{os.getpid()}"[:200]

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 27))")
_FORGET_EXPIRED = text("DELETE FROM llm_provider_slot WHERE provider = :provider AND expires_at < now()")
_TAKE = text(
    """
    INSERT INTO llm_provider_slot (tenant_id, id, provider, holder, expires_at)
    SELECT CAST(:tenant_id AS uuid), CAST(:id AS uuid), CAST(:provider AS varchar), CAST(:holder AS varchar),
           now() + make_interval(secs => CAST(:ttl AS float8))
     WHERE (SELECT count(*) FROM llm_provider_slot WHERE provider = CAST(:provider AS varchar)) < CAST(:limit AS int)
    RETURNING id
    """
)
_RENEW = text(
    "UPDATE llm_provider_slot SET expires_at = now() + make_interval(secs => CAST(:ttl AS float8)) WHERE id = :id"
)
_GIVE_BACK = text("DELETE FROM llm_provider_slot WHERE id = :id")


async def try_take_slot(tenant_id: uuid.UUID, provider: str, limit: int, slot_id: uuid.UUID) -> bool:
    """Take one of the ``limit`` slots of the tenant's provider if one is free (one transaction)."""
    async with transaction(tenant_id) as session:
        await session.execute(_LOCK, {"key": f"llm_provider_slot/{tenant_id}/{provider}"})
        await session.execute(_FORGET_EXPIRED, {"provider": provider})
        taken = await session.execute(
            _TAKE,
            {
                "tenant_id": tenant_id,
                "id": slot_id,
                "provider": provider,
                "holder": _HOLDER,
                "ttl": slot_seconds(),
                "limit": limit,
            },
        )
        return taken.first() is not None


async def give_back_slot(tenant_id: uuid.UUID, slot_id: uuid.UUID) -> None:
    async with transaction(tenant_id) as session:
        await session.execute(_GIVE_BACK, {"id": slot_id})


async def _renew(tenant_id: uuid.UUID, slot_id: uuid.UUID) -> None:
    while True:
        await asyncio.sleep(slot_seconds() / 3)
        try:
            async with transaction(tenant_id) as session:
                await session.execute(_RENEW, {"id": slot_id, "ttl": slot_seconds()})
        except Exception:  # the database is away: the call goes on, the slot may expire meanwhile
            log.warning("could not renew an LLM provider slot", exc_info=True)


@asynccontextmanager
async def provider_slot(tenant_id: uuid.UUID, provider: str, limit: int) -> AsyncIterator[uuid.UUID]:
    """Hold one of the ``limit`` slots of the tenant's provider (over all processes) while inside."""
    slot_id = uuid.uuid4()
    wait = FIRST_WAIT_S
    while not await try_take_slot(tenant_id, provider, limit, slot_id):
        await asyncio.sleep(wait * random.uniform(0.5, 1.0))
        wait = min(wait * 2, LONGEST_WAIT_S)
    renewing = asyncio.create_task(_renew(tenant_id, slot_id), name="nyx-provider-slot-renew")
    try:
        yield slot_id
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        try:
            # Shielded: a cancelled call (run cancelled, worker stopping) still gives its slot back.
            await asyncio.shield(give_back_slot(tenant_id, slot_id))
        except Exception:
            log.warning("could not give back an LLM provider slot; it expires by itself", exc_info=True)


def provider_gate(tenant_id: uuid.UUID) -> Callable[[str], AbstractAsyncContextManager[object]]:
    """A limiter for ``LlmRequest.limiter``: hold a slot of this provider while calling it."""

    @asynccontextmanager
    async def hold(provider: str) -> AsyncIterator[object]:
        limit = get_settings().llm_provider_concurrency
        key = (asyncio.get_running_loop(), tenant_id, provider)
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = asyncio.Semaphore(limit)
        async with gate, provider_slot(tenant_id, provider, limit) as slot:
            yield slot

    return hold
