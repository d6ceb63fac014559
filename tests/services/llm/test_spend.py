"""Spend per provider and per day, the monthly budget, and the refusal before sending."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall
from nyx_app.services.errors import InvalidInput
from nyx_app.services.llm import call, preferences, spend
from nyx_app.services.llm.call import LlmRequest
from nyx_app.services.llm.errors import BudgetExceeded
from tests.factories import TenantFactory
from tests.fakes.fixtures import connect_providers
from tests.fakes.llm_server import FakeLLM, fault


async def test_spend_per_provider_and_day(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("credit"))
    first = await call.complete(
        acct.ctx, LlmRequest("a b c", model="anthropic/claude-sonnet-4-6", fallbacks=["openai/gpt-4.1-mini"])
    )
    other = await tenants.create()
    await connect_providers(other.ctx, fake_llm, "openai")
    await call.complete(other.ctx, LlmRequest("not counted for the first tenant", model="openai/gpt-4.1-mini"))

    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        by_provider = {r.key: r for r in await spend.spend_by_provider(session, acct.ctx)}
        by_day = await spend.spend_by_day(session, acct.ctx)
        month = await spend.month_spend(session, acct.ctx)
    assert set(by_provider) == {"anthropic", "openai"}
    assert by_provider["anthropic"].failed == 1 and by_provider["anthropic"].cost_usd == 0
    assert by_provider["openai"].calls == 1 and by_provider["openai"].cost_usd == first.cost_usd
    assert len(by_day) == 1 and by_day[0].cost_usd == month == first.cost_usd


async def test_call_over_budget_is_refused_before_sending(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await preferences.set_budget(session, acct.ctx, "0.01")
    # Opus: 4096 assumed output tokens x $25/M = $0.10 > $0.01.
    with pytest.raises(BudgetExceeded, match=r"Monthly LLM budget reached.*Nothing was sent"):
        await call.complete(acct.ctx, LlmRequest("hi", model="anthropic/claude-opus-4-6"))
    assert fake_llm.calls() == 0
    # A small call still fits.
    result = await call.complete(acct.ctx, LlmRequest("hi", model="openai/gpt-4.1-nano", max_tokens=50))
    assert result.output


async def test_budget_counts_what_was_already_spent(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "openai")
    # The fake counts 6000 input tokens: $0.012 at GPT-4.1's $2/M, more than the budget set next.
    first = await call.complete(acct.ctx, LlmRequest("x " * 6000, model="openai/gpt-4.1", max_tokens=10))
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await preferences.set_budget(session, acct.ctx, "0.01")
    used = re.escape(f"{spend.usd(first.cost_usd)} of the $0.01 budget is used this month. Nothing was sent")
    with pytest.raises(BudgetExceeded, match=used):
        await call.complete(acct.ctx, LlmRequest("tiny", model="openai/gpt-4.1-nano", max_tokens=1))
    assert fake_llm.calls() == 1


def test_parse_budget() -> None:
    assert preferences.parse_budget("") is None
    assert preferences.parse_budget(" $1,250.5 ") == Decimal("1250.50")
    with pytest.raises(InvalidInput):
        preferences.parse_budget("lots")
    with pytest.raises(InvalidInput):
        preferences.parse_budget("-3")


async def test_fallback_order_accepts_known_models_only(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        prefs = await preferences.set_fallback_order(
            session, acct.ctx, ["openai/gpt-4.1-mini", "gemini/gemini-2.5-pro", "openai/gpt-4.1-mini"]
        )
        assert prefs.fallback_order == ["openai/gpt-4.1-mini", "gemini/gemini-2.5-pro"]
        with pytest.raises(InvalidInput, match="Unknown model"):
            await preferences.set_fallback_order(session, acct.ctx, ["openai/gpt-9"])


async def test_tenant_fallback_chain_is_used(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await preferences.set_fallback_order(session, acct.ctx, ["gemini/gemini-2.5-flash-lite"])
    fake_llm.script("claude-sonnet-4-6", fault("overloaded"), fault("overloaded"))
    result = await call.complete(acct.ctx, LlmRequest("x", model="anthropic/claude-sonnet-4-6"))
    assert result.provider == "gemini" and len(result.attempts) == 3


async def test_month_spend_is_this_months_attempts_whoever_recorded_them(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("credit"))
    paid = await call.complete(
        acct.ctx, LlmRequest("a b c", model="anthropic/claude-sonnet-4-6", fallbacks=["openai/gpt-4.1-mini"])
    )
    last_month = spend.month_start() - timedelta(seconds=1)
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        for at, cost in ((last_month, "5"), (spend.month_start(), "0.5")):
            session.add(
                LlmCall(
                    tenant_id=acct.ctx.tenant_id, call_id=uuid.uuid4(), attempt_no=1, provider="openai",
                    model="o3", status="ok", created_at=at, cost_usd=Decimal(cost),
                )
            )  # fmt: skip
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        month = await spend.month_spend(session, acct.ctx)
        summed = sum(r.cost_usd for r in await spend.spend_by_provider(session, acct.ctx))
    assert month == paid.cost_usd + Decimal("0.5") == summed
