"""Provider slots in PostgreSQL: the limit counts every holder, a dead holder's slot expires, and
one tenant's calls never take another tenant's slots."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.services.engine import limits
from tests.factories import TenantFactory


async def _slots(tenant_id: uuid.UUID) -> int:
    async with transaction(tenant_id) as s:
        return int((await s.execute(text("SELECT count(*) FROM llm_provider_slot"))).scalar_one())


async def test_the_slot_after_the_limit_waits_until_one_is_given_back(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    tid = acct.ctx.tenant_id
    assert await limits.try_take_slot(tid, "anthropic", 2, uuid.uuid4())
    async with limits.provider_slot(tid, "anthropic", 2):
        assert await _slots(tid) == 2
        assert not await limits.try_take_slot(tid, "anthropic", 2, uuid.uuid4())
        # Another provider of the tenant, and the same provider of another tenant, are not held up.
        assert await limits.try_take_slot(tid, "openai", 2, uuid.uuid4())
        other = await tenants.create()
        assert await limits.try_take_slot(other.ctx.tenant_id, "anthropic", 2, uuid.uuid4())
        waiting = asyncio.create_task(_hold_once(tid))
        await asyncio.sleep(0.3)
        assert not waiting.done()
    assert await asyncio.wait_for(waiting, 10) == 2  # it got the slot given back
    assert await _slots(tid) == 2  # the first slot (never given back) + openai's


async def _hold_once(tenant_id: uuid.UUID) -> int:
    async with limits.provider_slot(tenant_id, "anthropic", 2), transaction(tenant_id) as s:
        return int(
            (await s.execute(text("SELECT count(*) FROM llm_provider_slot WHERE provider = 'anthropic'"))).scalar_one()
        )


async def test_a_slot_whose_holder_stopped_renewing_it_is_free_again(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    tid = acct.ctx.tenant_id
    assert await limits.try_take_slot(tid, "anthropic", 1, uuid.uuid4())
    assert not await limits.try_take_slot(tid, "anthropic", 1, uuid.uuid4())
    async with transaction(tid) as s:  # as if its worker was killed a while ago
        await s.execute(text("UPDATE llm_provider_slot SET expires_at = now() - interval '1 second'"))
    assert await limits.try_take_slot(tid, "anthropic", 1, uuid.uuid4())
    assert await _slots(tid) == 1
