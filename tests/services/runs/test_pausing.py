"""Pause and resume: a queued run pauses at once, a running one lets its steps in flight finish (or
stops their calls), starts nothing new and frees its worker; resume goes on from where it stopped
and asks no model twice for a finished step (the fake LLM's request log); the sweepers leave
paused runs alone; pausing what cannot pause says why."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunStatus
from nyx_app.services.engine import sweeper
from nyx_app.services.engine.executor import RunExecutor
from nyx_app.services.errors import Conflict, NotFound
from nyx_app.services.runs import control, pausing, views
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, load_run, run_to_end, start, statuses, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

CHAIN = steps(
    {"key": "a", "prompt": "A"},
    {"key": "b", "prompt": "B {{steps.a.output}}"},
    {"key": "c", "prompt": "C {{steps.b.output}}"},
)


async def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def pause(ws, run_id, mode: str = "finish") -> Run:  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return await pausing.pause_run(s, ws.ctx, run_id, mode)


async def resume(ws, run_id) -> Run:  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return await control.resume_run(s, ws.ctx, run_id)


def held_b(fake_llm: FakeLLM) -> threading.Event:
    """B's answer waits until the event is set."""
    release = threading.Event()

    def model(prompt: str) -> str:
        if prompt.startswith("B"):
            release.wait(60)
        return f"answer to {prompt[:20]}"

    fake_llm.script(MODEL, then=respond(model))
    return release


async def test_a_queued_run_pauses_at_once_and_its_job_does_nothing(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=CHAIN))

    await pause(ws, run_id)
    run = await run_to_end(ws, run_id)  # the queued job, taken by a worker

    assert run.status == RunStatus.PAUSED and fake_llm.calls() == 0
    assert run.paused_by == ws.ctx.user_id and run.paused_at is not None
    async with transaction(ws.ctx.tenant_id) as s:
        view = await views.run_view(s, ws.ctx, run_id)
    assert view.status == "paused" and view.paused_by.startswith("User ")

    await resume(ws, run_id)
    run = await run_to_end(ws, run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert [p[0] for p in fake_llm.prompts(MODEL)] == ["A", "B", "C"]
    assert (run.paused_by, run.paused_at, run.pause_requested) == (None, None, "")


async def test_pause_lets_the_step_in_flight_finish_starts_nothing_new_and_resume_pays_nothing_twice(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    release = held_b(fake_llm)
    run_id = await start(ws, await workflow(ws, definition=CHAIN))
    executor = RunExecutor(ws.ctx.tenant_id, run_id)
    running = asyncio.create_task(executor.execute())
    await wait_for(lambda: fake_llm.calls() == 2)  # A answered, B in flight

    requested = await pause(ws, run_id, "finish")
    assert (requested.status, requested.pause_requested) == ("running", "finish")
    await executor.steered()  # what the job's NOTIFY relay does (tests/jobs covers it across processes)
    release.set()
    assert await asyncio.wait_for(running, 20) == RunStatus.PAUSED

    assert await statuses(ws, run_id) == {"a": "succeeded", "b": "succeeded", "c": "queued"}
    run = await load_run(ws, run_id)
    assert (run.status, run.pause_requested, run.lease_holder != "") == ("paused", "", True)
    assert fake_llm.calls() == 2  # C was not started

    await resume(ws, run_id)
    run = await run_to_end(ws, run_id)
    assert run.status == RunStatus.SUCCEEDED
    prompts = fake_llm.prompts(MODEL)
    assert [p[0] for p in prompts] == ["A", "B", "C"]  # each step asked once: nothing paid twice


async def test_pause_now_stops_the_call_in_flight_and_that_step_runs_again_on_resume(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    release = held_b(fake_llm)
    run_id = await start(ws, await workflow(ws, definition=CHAIN))
    executor = RunExecutor(ws.ctx.tenant_id, run_id)
    running = asyncio.create_task(executor.execute())
    await wait_for(lambda: fake_llm.calls() == 2)

    await pause(ws, run_id, "finish")
    await pause(ws, run_id, "now")  # changing one's mind: stop now after all
    await executor.steered()
    assert await asyncio.wait_for(running, 20) == RunStatus.PAUSED
    release.set()

    assert await statuses(ws, run_id) == {"a": "succeeded", "b": "queued", "c": "queued"}
    await resume(ws, run_id)
    run = await run_to_end(ws, run_id)
    assert run.status == RunStatus.SUCCEEDED
    assert [p[0] for p in fake_llm.prompts(MODEL)] == ["A", "B", "B", "C"]  # A kept; B stopped, so asked again


async def test_what_cannot_pause_says_why(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    wf = await workflow(ws, definition=steps({"key": "a", "prompt": "A"}))
    run_id = await start(ws, wf)
    await run_to_end(ws, run_id)
    with pytest.raises(Conflict, match="has just finished"):
        await pause(ws, run_id)

    other = await start(ws, wf)
    await pause(ws, other)
    with pytest.raises(Conflict, match="already paused"):
        await pause(ws, other)
    with pytest.raises(Conflict, match="This workflow is already running"):  # a paused run holds its workflow
        await start(ws, wf)

    stranger = await tenants.create()
    async with transaction(stranger.ctx.tenant_id, stranger.ctx.user_id) as s:
        with pytest.raises(NotFound):
            await pausing.pause_run(s, stranger.ctx, other)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(Exception, match="Choose whether"):
            await pausing.pause_run(s, ws.ctx, other, "later")

    # A paused run can be cancelled; then it is finished.
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.cancel_run(s, ws.ctx, other)
    assert (await load_run(ws, other)).status == RunStatus.CANCELLED
    assert (await statuses(ws, other)) == {"a": "cancelled"}


async def test_the_sweepers_leave_a_paused_run_alone(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=CHAIN))
    await pause(ws, run_id)
    await run_to_end(ws, run_id)
    async with transaction(ws.ctx.tenant_id) as s:  # silent for a day
        old = utcnow() - timedelta(days=1)
        await s.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=old, created_at=old))  # type: ignore[arg-type]

    await sweeper.sweep_jobs()
    await sweeper.sweep_orphans()

    run = await load_run(ws, run_id)
    assert (run.status, run.error) == ("paused", "")
