"""An executor owns its run through a lease: one that lost it (another worker took the run over
while it was frozen, the run was failed or deleted) writes nothing more and asks no model again.
In-process here, with two executors of one run; tests/jobs does it with frozen worker processes."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from nyx_app.db import lease
from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall
from nyx_app.models.run import NO_ITEM, Run, RunStatus, StepStatus
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.executor import RunExecutor
from nyx_app.services.engine.record import Recorder
from nyx_app.settings import get_settings
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond, stall
from tests.runs_helpers import MODEL, load_run, start, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

FAN_OUT = steps(
    {"key": "points", "prompt": "List", "output": "json_list"},
    {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
    {"key": "final", "prompt": "Sum up {{steps.plan.output}}"},
)


async def until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_a_run_taken_over_while_its_executor_was_frozen_is_finished_once(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    # The first executor's four plan requests get their answers only once the second executor has
    # finished the run: as if its worker had been frozen with them in flight and woke up then.
    woken, lock, held = threading.Event(), threading.Lock(), [0]

    def model(prompt: str) -> str:
        if prompt == "List":
            return json.dumps([f"item {i}" for i in range(1, 5)])
        if prompt.startswith("Plan"):
            with lock:
                held[0] += 1
                first_four = held[0] <= 4
            if first_four:
                woken.wait(60)
        return f"done: {prompt[:30]}"

    fake_llm.script(MODEL, then=respond(model))
    run_id = await start(ws, await workflow(ws, definition=FAN_OUT))
    frozen = RunExecutor(ws.ctx.tenant_id, run_id)
    first = asyncio.create_task(frozen.execute())
    await until(lambda: fake_llm.calls() == 5)  # the list, then four plans in flight

    second = await RunExecutor(ws.ctx.tenant_id, run_id).execute()  # the takeover
    woken.set()
    outcome = await asyncio.wait_for(first, 30)

    assert (second, outcome) == (RunStatus.SUCCEEDED, None)
    prompts = fake_llm.prompts(MODEL)
    assert prompts.count("List") == 1
    assert [prompts.count(f"Plan item {i}") for i in range(1, 5)] == [2, 2, 2, 2]  # in flight, then again
    assert sum(p.startswith("Sum up") for p in prompts) == 1  # the woken executor asked nothing more
    rows = await step_rows(ws, run_id)
    items = [r for (k, i), r in rows.items() if k == "plan" and i != NO_ITEM]
    assert [(r.status, len(r.call_ids)) for r in items] == [(StepStatus.SUCCEEDED, 1)] * 4
    async with transaction(ws.ctx.tenant_id) as s:
        calls = list(await s.exec(select(LlmCall)))
    # Every answer is in the spend log (the woken executor's four were paid for too) ...
    assert len(calls) == 10 and all(c.status == "ok" for c in calls)
    # ... but only the accepted ones are in the steps and the run's totals.
    accepted = {c for r in rows.values() for c in r.call_ids}
    assert len(accepted) == 6
    run = await load_run(ws, run_id)
    assert run.cost_usd == sum((c.cost_usd for c in calls if c.call_id in accepted), Decimal(0)) > 0
    assert run.tokens_out == sum(c.tokens_out for c in calls if c.call_id in accepted)
    assert run.lease_epoch == 2 and "pid" in run.lease_holder


async def test_an_executor_whose_run_was_taken_stops_at_its_heartbeat_and_cancels_its_calls(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = await workspace(tenants, fake_llm)
    monkeypatch.setattr(get_settings(), "run_heartbeat_seconds", 0.2)
    fake_llm.script(MODEL, then=stall(60))
    run_id = await start(
        ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"}, {"key": "b", "prompt": "B"}))
    )
    running = asyncio.create_task(RunExecutor(ws.ctx.tenant_id, run_id).execute())
    await until(lambda: fake_llm.calls() == 2)
    async with transaction(ws.ctx.tenant_id) as s:  # another worker claims the run
        assert await lease.claim(s, run_id, "another worker") == 2
    before = await step_rows(ws, run_id)

    assert await asyncio.wait_for(running, 10) is None  # not the 60 s its calls would take

    assert fake_llm.calls() == 2
    after = await step_rows(ws, run_id)
    assert {k: (r.status, r.error) for k, r in after.items()} == {k: (r.status, r.error) for k, r in before.items()}
    run = await load_run(ws, run_id)
    assert (run.status, run.lease_holder) == (RunStatus.RUNNING, "another worker")


async def test_a_run_taken_over_while_its_executor_was_still_loading_ends_that_job_quietly(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a loaded machine a slow load (retrieval, material) outlives the stall limit: the job that
    lost the run must end without an error, or the sweeper fails a run another worker is finishing."""
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(lambda prompt: f"done: {prompt}"))
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    slow = RunExecutor(ws.ctx.tenant_id, run_id)
    retrieve = slow._retrieve

    async def taken_over_meanwhile(*args):  # type: ignore[no-untyped-def]
        async with transaction(ws.ctx.tenant_id) as s:
            assert await lease.claim(s, run_id, "another worker") == 2
        await retrieve(*args)

    monkeypatch.setattr(slow, "_retrieve", taken_over_meanwhile)

    assert await slow.execute() is None  # not LeaseLost out of the job
    assert fake_llm.calls() == 0
    assert await RunExecutor(ws.ctx.tenant_id, run_id).execute() == RunStatus.SUCCEEDED
    assert fake_llm.prompts(MODEL) == ["A"]


async def test_a_step_success_written_twice_counts_once(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    row = (await step_rows(ws, run_id))[("a", NO_ITEM)]
    recorder = Recorder(ws.ctx.tenant_id, run_id)
    async with transaction(ws.ctx.tenant_id) as s:
        recorder.epoch = await lease.claim(s, run_id, "test")
        await s.execute(update(Run).where(col(Run.id) == run_id).values(status=RunStatus.RUNNING.value))
    await recorder.started_at_once(ev.StepStarted(row.id, "anthropic", MODEL, "A"), ws.ctx.user_id)
    call_id = uuid.uuid4()
    succeeded = ev.StepSucceeded(row.id, "Answer", None, "anthropic", MODEL, [], call_id, 10, 20, Decimal("0.001"))

    for _ in range(2):
        async with recorder.applying(succeeded, ws.ctx.user_id):
            pass
    await recorder.close()

    done = (await step_rows(ws, run_id))[("a", NO_ITEM)]
    assert (done.status, done.tokens_in, done.tokens_out, done.cost_usd, done.call_ids) == (
        StepStatus.SUCCEEDED,
        10,
        20,
        Decimal("0.001"),
        [call_id],
    )
