"""How many LLM calls may run at once: per run (set on each executor) and per provider account.

Provider gates are per process and per (tenant, provider): a tenant's fan-out cannot hammer its
provider with more calls than ``llm_provider_concurrency``, while other tenants are unaffected.
Several worker processes each have their own gates (the limit is per worker, not global).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from nyx_app.settings import get_settings

_GATES: dict[tuple[asyncio.AbstractEventLoop, uuid.UUID, str], asyncio.Semaphore] = {}


def provider_gate(tenant_id: uuid.UUID) -> Callable[[str], AbstractAsyncContextManager[object]]:
    """A limiter for ``LlmRequest.limiter``: hold a slot of this provider while calling it."""

    @asynccontextmanager
    async def hold(provider: str) -> AsyncIterator[object]:
        key = (asyncio.get_running_loop(), tenant_id, provider)
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = asyncio.Semaphore(get_settings().llm_provider_concurrency)
        async with gate:
            yield gate

    return hold
