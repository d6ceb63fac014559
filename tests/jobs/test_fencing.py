"""A worker that dies (SIGKILL) or freezes (SIGSTOP) with a fan-out's calls in flight: another worker
takes the run over and finishes it, and a frozen one that wakes (SIGCONT) asks no model again and
writes nothing: the same requests as when it was killed, no step succeeded twice, and the run's
totals are the sum of the answers its steps accepted. Real worker processes, the fake LLM's log."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from decimal import Decimal

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall
from nyx_app.models.run import NO_ITEM, RunStatus, StepStatus
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond
from tests.jobs.workers import worker_process
from tests.runs_helpers import MODEL, load_run, start, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

ITEMS = 6
FAN_OUT = steps(
    {"key": "points", "prompt": "List", "output": "json_list"},
    {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
    {"key": "final", "prompt": "Sum up {{steps.plan.output}}"},
)


async def until(predicate, timeout: float = 180.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(every)


@pytest.mark.parametrize("how", ["killed", "frozen"])
async def test_a_run_whose_worker_died_or_froze_mid_fan_out_is_finished_once(
    tenants: TenantFactory, fake_llm: FakeLLM, how: str
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
    # The first worker's plan requests are answered only once it is dead or frozen: a frozen
    # worker then has its answers waiting in its sockets when it wakes.
    gone, lock, plans = threading.Event(), threading.Lock(), [0]

    def model(prompt: str) -> str:
        if prompt == "List":
            return json.dumps([f"item {i}" for i in range(1, ITEMS + 1)])
        if prompt.startswith("Plan"):
            with lock:
                plans[0] += 1
                first_worker = plans[0] <= ITEMS
            if first_worker:
                gone.wait(300)
        return f"done: {prompt[:30]}"

    fake_llm.script(MODEL, then=respond(model))
    run_id = await start(ws, await workflow(ws, definition=FAN_OUT))

    async def in_flight() -> bool:
        return fake_llm.calls() == 1 + ITEMS

    async def finished():  # type: ignore[no-untyped-def]
        run = await load_run(ws, run_id)
        return run if RunStatus(run.status).finished else None

    with worker_process() as first:
        await until(in_flight)
        first.kill() if how == "killed" else first.freeze()
        gone.set()
        with worker_process() as second:
            run = await until(finished)
            assert run.status == RunStatus.SUCCEEDED, run.error + second.output()[-3000:]
            if how == "frozen":
                first.thaw()

                async def stopped() -> bool:
                    return "is no longer held by this worker" in first.output()

                await until(stopped, timeout=60)
                await asyncio.sleep(2)  # anything it would still send or write, it would by now

    requests = fake_llm.requests
    prompts = fake_llm.prompts(MODEL)
    # The same requests whether the first worker was killed or frozen: the list, its plans in
    # flight, the plans again from the second worker, and one final prompt.
    assert len(prompts) == 2 + 2 * ITEMS, prompts
    assert prompts.count("List") == 1 and sum(p.startswith("Sum up") for p in prompts) == 1
    assert all(prompts.count(f"Plan item {i}") == 2 for i in range(1, ITEMS + 1))
    # The first worker's answers were ready while it was gone: a killed one had hung up, a frozen
    # one had not (it read them when it woke, and wrote nothing of them).
    assert [r.client_connected for r in requests[1 : 1 + ITEMS]] == [how == "frozen"] * ITEMS

    rows = await step_rows(ws, run_id)
    assert all(r.status == StepStatus.SUCCEEDED for r in rows.values())
    items = [r for (k, i), r in rows.items() if k == "plan" and i != NO_ITEM]
    assert [len(r.call_ids) for r in items] == [1] * ITEMS  # each item succeeded once
    async with transaction(ws.ctx.tenant_id) as s:
        calls = list(await s.exec(select(LlmCall)))
    accepted = [c for c in calls if any(c.call_id in r.call_ids for r in rows.values())]
    assert len(accepted) == 2 + ITEMS
    run = await load_run(ws, run_id)
    assert run.cost_usd == sum((c.cost_usd for c in accepted), Decimal(0)) > 0
    assert run.tokens_in == sum(c.tokens_in for c in accepted)
    assert run.lease_epoch == 2
