"""The monthly budget holds when calls run side by side: each reserves its worst case before it is
sent, so thirteen fan-out items cannot all pass a check against the same old spend. Endpoint
models cost what the tenant says (unknown until it says), and no message reads "$0.0000"."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall, LlmReservation
from nyx_app.models.run import NO_ITEM, RunStatus, StepStatus
from nyx_app.services.errors import InvalidFields
from nyx_app.services.llm import budget, call, credentials, preferences, spend
from nyx_app.services.llm.call import LlmRequest
from nyx_app.services.llm.errors import BudgetExceeded
from nyx_app.settings import get_settings
from tests.factories import Account, TenantFactory
from tests.fakes.llm_server import FakeLLM, answer, respond
from tests.runs_helpers import MODEL, run_to_end, start, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

PLAN_WORDS = 150  # each plan's answer: 150 tokens out at $15/M = $0.00225 (the fake counts words)


async def _spent_before(acct: Account, amount: str) -> None:
    """What the month already cost (an earlier call's attempt)."""
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        s.add(
            LlmCall(
                tenant_id=acct.ctx.tenant_id,
                call_id=uuid.uuid4(),
                attempt_no=1,
                provider="anthropic",
                model=MODEL,
                status="ok",
                cost_usd=Decimal(amount),
            )
        )


async def test_thirteen_parallel_items_with_a_small_remainder_stay_within_the_budget(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await preferences.set_budget(s, ws.ctx, "1.00")
    await _spent_before(ws.account, "0.985")  # $0.015 left: a handful of the 13 plans, not all

    def model(prompt: str) -> str:
        if prompt == "List":
            return json.dumps([f"point {i}" for i in range(1, 14)])
        return " ".join(["plan"] * PLAN_WORDS)

    fake_llm.script(MODEL, then=respond(model))
    definition = steps(
        {"key": "points", "prompt": "List", "output": "json_list", "max_tokens": 100},
        {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points", "max_tokens": 200},
        {"key": "final", "prompt": "Sum up {{steps.plan.output}}", "max_tokens": 200},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED
    rows = await step_rows(ws, run_id)
    plans = [r for (k, i), r in rows.items() if k == "plan" and i != NO_ITEM]
    done = [p for p in plans if p.status == StepStatus.SUCCEEDED]
    refused = [p for p in plans if p.status == StepStatus.FAILED]
    assert 0 < len(done) < 13 and len(done) + len(refused) == 13
    assert all(p.error.startswith("Monthly LLM budget reached") and "$0.0000" not in p.error for p in refused)
    async with transaction(ws.ctx.tenant_id) as s:
        month = await spend.month_spend(s, ws.ctx)
        calls = list(await s.exec(select(LlmCall).where(col(LlmCall.status) == "ok")))
        left_held = list(await s.exec(select(LlmReservation)))
    one_call = max(c.cost_usd for c in calls)
    assert month <= Decimal("1.00") + one_call, month
    assert fake_llm.calls(MODEL) == 1 + len(done)  # nothing was sent for a refused item
    assert left_held == []  # every reservation went with its call's attempt


async def test_a_call_waits_for_calls_in_flight_to_settle_and_a_dead_workers_reservation_expires(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = await workspace(tenants, fake_llm)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await preferences.set_budget(s, ws.ctx, "0.10")
    # A worker died holding $0.09 of it: nothing else fits until its reservation lapses.
    held = await budget.reserve(ws.ctx, uuid.uuid4(), Decimal("0.09"), Decimal("0.10"), "x/y", hold_s=600)
    assert held is not None
    monkeypatch.setattr(get_settings(), "llm_budget_wait_seconds", 0.5)
    fake_llm.script(MODEL, then=answer("ok"))
    request = LlmRequest("hi", model=f"anthropic/{MODEL}", max_tokens=1000)  # worst case $0.015

    with pytest.raises(BudgetExceeded, match=r"\$0\.0900 of it is held by calls in progress"):
        await call.complete(ws.ctx, request)
    assert fake_llm.calls() == 0
    async with transaction(ws.ctx.tenant_id) as s:
        await s.execute(
            update(LlmReservation).where(col(LlmReservation.id) == held.id).values(expires_at=utcnow() - timedelta(1))
        )

    assert (await call.complete(ws.ctx, request)).output == "ok"
    async with transaction(ws.ctx.tenant_id) as s:
        assert list(await s.exec(select(LlmReservation))) == []  # the lapsed one swept, the call's settled


async def test_an_endpoint_model_costs_what_the_tenant_says_and_unknown_until_it_does(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    acct = await tenants.create()
    fake_llm.script("local-1", then=answer(" ".join(["word"] * 100)))

    async def endpoint(prices: str) -> None:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await credentials.save_endpoint(s, acct.ctx, "local", fake_llm.openai_base, "local-1", "", prices)

    await endpoint("")
    unpriced = await call.complete(acct.ctx, LlmRequest("one two three", model="local/local-1"))
    assert unpriced.cost_usd == 0  # unknown: nothing to count (the pages say "unknown")

    await endpoint("local-1 = 2 / 10")  # $2 per million in, $10 out
    priced = await call.complete(acct.ctx, LlmRequest("one two three", model="local/local-1"))
    assert priced.cost_usd == (Decimal(2) * priced.tokens_in + Decimal(10) * priced.tokens_out) / 1_000_000 > 0

    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await preferences.set_budget(s, acct.ctx, "0.01")
    # 4096 answer tokens assumed (none asked for) x $10/M = $0.041 > $0.01: refused, in words.
    with pytest.raises(BudgetExceeded, match=r"could cost up to \$0\.04\d\d, but only \$0\.00\d\d of the \$0\.01 "):
        await call.complete(acct.ctx, LlmRequest("one two three", model="local/local-1"))

    with pytest.raises(InvalidFields) as refused:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await credentials.save_endpoint(s, acct.ctx, "local", fake_llm.openai_base, "local-1", "", "other = 1 / 2")
    assert "not one of this endpoint's models" in refused.value.fields["prices"]


async def test_a_used_up_budget_refuses_even_a_model_of_unknown_price_in_words(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    acct = await tenants.create()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await credentials.save_endpoint(s, acct.ctx, "local", fake_llm.openai_base, "local-1")
        await preferences.set_budget(s, acct.ctx, "0.05")
    await _spent_before(acct, "0.21")

    with pytest.raises(BudgetExceeded) as refused:
        await call.complete(acct.ctx, LlmRequest("hi", model="local/local-1"))

    assert refused.value.message.startswith("Monthly LLM budget reached: $0.2100 of the $0.05 budget is used")
    assert "$0.0000" not in refused.value.message and fake_llm.calls() == 0


def test_amounts_in_words_never_read_zero_point_zero() -> None:
    assert [spend.usd(Decimal(x)) for x in ("0", "0.00001", "0.0123", "12.5")] == [
        "$0",
        "less than $0.0001",
        "$0.0123",
        "$12.50",
    ]
