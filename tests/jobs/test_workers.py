"""Runs survive what happens to workers: SIGKILL, a graceful restart, two workers sharing runs,
and a cancel sent from another process. Real worker processes, real PostgreSQL, the fake LLM."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.models.run import RunStatus
from nyx_app.services.runs import control
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond, stall
from tests.jobs.workers import worker_process
from tests.runs_helpers import MODEL, load_run, start, statuses, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

FAN_OUT = steps(
    {"key": "points", "prompt": "List", "output": "json_list"},
    {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
    {"key": "final", "prompt": "Sum up {{steps.plan.output}}"},
)


def slow_fan_out(items: int, latency: float):  # type: ignore[no-untyped-def]
    def answer(prompt: str) -> str:
        if prompt == "List":
            return json.dumps([f"item {i}" for i in range(1, items + 1)])
        return f"done: {prompt[:40]}"

    return respond(answer, latency=latency)


async def until(predicate, timeout: float = 120.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll the database (another process changes it) until the predicate holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(every)


async def test_a_killed_worker_s_run_is_finished_by_another_and_no_finished_step_is_paid_twice(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
    fake_llm.script(MODEL, then=slow_fan_out(items=6, latency=1.5))
    run_id = await start(ws, await workflow(ws, definition=FAN_OUT))

    async def finished_before_kill() -> list[str]:
        rows = await step_rows(ws, run_id)
        return [r.label for (k, i), r in rows.items() if k == "plan" and r.status == "succeeded"]

    with worker_process(NYX_LLM_PROVIDER_CONCURRENCY="3") as first:
        done = await until(finished_before_kill)  # 3 plans at a time: some done, others in flight
        first.kill()
    assert 0 < len(done) < 6

    with worker_process() as second:
        run = await until(lambda: _finished(ws, run_id))
    assert run.status == RunStatus.SUCCEEDED, run.error + second.output()[-2000:]
    prompts = fake_llm.prompts(MODEL)
    assert prompts.count("List") == 1
    for label in done:
        assert prompts.count(f"Plan {label}") == 1, f"{label} finished before the kill and was called again"
    assert all(prompts.count(f"Plan item {i}") >= 1 for i in range(1, 7))


async def _finished(ws, run_id):  # type: ignore[no-untyped-def]
    run = await load_run(ws, run_id)
    return run if RunStatus(run.status).finished else None


async def test_a_graceful_restart_mid_run_resumes_the_run(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
    fake_llm.script(MODEL, then=slow_fan_out(items=4, latency=2.0))
    run_id = await start(ws, await workflow(ws, definition=FAN_OUT))

    with worker_process() as first:
        await until(lambda: _plan_running(ws, run_id))
        first.terminate()  # procrastinate waits its graceful timeout, then aborts the job
    async with transaction() as s:
        # The run's job (a finished run also queues the knowledge embedding job for its output).
        run_jobs = text("SELECT status::text FROM procrastinate_jobs WHERE task_name = 'nyx.run'")
        job_status = (await s.execute(run_jobs)).scalars().all()
    # Aborted by the shutdown, or already re-queued by the stopping worker's last sweep.
    assert job_status in (["aborted"], ["todo"])
    assert (await load_run(ws, run_id)).status == RunStatus.RUNNING  # not failed: it will go on

    with worker_process() as second:
        run = await until(lambda: _finished(ws, run_id))
    assert run.status == RunStatus.SUCCEEDED, run.error + second.output()[-2000:]
    assert fake_llm.prompts(MODEL).count("List") == 1


async def _plan_running(ws, run_id):  # type: ignore[no-untyped-def]
    return (await statuses(ws, run_id)).get("plan") == "running"


async def test_two_workers_share_the_runs(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
    fake_llm.script(MODEL, then=respond(lambda p: f"ok {p}", latency=1.0))
    runs = [
        await start(ws, await workflow(ws, definition=steps({"key": f"s{n}", "prompt": f"run {n}"}))) for n in range(4)
    ]
    seen_workers: set[int] = set()

    async def all_done() -> bool:
        async with transaction() as s:
            doing = (await s.execute(text("SELECT worker_id FROM procrastinate_jobs WHERE status = 'doing'"))).scalars()
            seen_workers.update(w for w in doing if w is not None)
        statuses_ = [RunStatus((await load_run(ws, r)).status) for r in runs]
        return all(s.finished for s in statuses_)

    with worker_process(NYX_WORKER_CONCURRENCY="1"), worker_process(NYX_WORKER_CONCURRENCY="1"):
        await until(all_done, every=0.05)
    assert [(await load_run(ws, r)).status for r in runs] == ["succeeded"] * 4
    assert len(seen_workers) == 2
    assert sorted(fake_llm.prompts(MODEL)) == [f"run {n}" for n in range(4)]


async def test_cancel_from_another_process_stops_the_calls_in_flight(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
    fake_llm.script(MODEL, then=stall(60))
    run_id = await start(
        ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"}, {"key": "b", "prompt": "B"}))
    )
    with worker_process() as worker:
        await until(lambda: _both_running(ws, run_id, fake_llm))
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.cancel_run(s, ws.ctx, run_id)
        run = await until(lambda: _finished(ws, run_id), timeout=15)
        assert run.status == RunStatus.CANCELLED, worker.output()[-2000:]
    assert await statuses(ws, run_id) == {"a": "cancelled", "b": "cancelled"}


async def _both_running(ws, run_id, fake):  # type: ignore[no-untyped-def]
    return fake.calls() == 2 and set((await statuses(ws, run_id)).values()) == {"running"}


async def test_a_review_pause_survives_the_worker_going_away(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    from nyx_app.services.workflows.builtin import ANALYSE_REVIEW
    from tests.fakes.flagship import flagship

    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
    fake_llm.script(MODEL, then=respond(flagship()))
    run_id = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))
    with worker_process():
        await until(lambda: _status_is(ws, run_id, RunStatus.WAITING))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.approve_review(s, ws.ctx, run_id, "review", "Approved while no worker ran.")
    with worker_process():
        run = await until(lambda: _finished(ws, run_id))
    assert run.status == RunStatus.SUCCEEDED
    assert "Approved while no worker ran." in fake_llm.prompts(MODEL)[-1]


async def _status_is(ws, run_id, status):  # type: ignore[no-untyped-def]
    return (await load_run(ws, run_id)).status == status
