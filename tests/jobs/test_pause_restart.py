"""Pause and resume across real worker processes: the pause reaches the worker through NOTIFY, the
worker frees the run, is restarted, and the resumed run finishes with no step paid twice (the fake
LLM's request log and the accepted llm_call rows). A pause asked of a worker that dies before it
could act stays on the run: the worker that takes the run over pauses it at once."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall
from nyx_app.models.run import RunStatus, StepStatus
from nyx_app.services.runs import control, pausing
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond
from tests.jobs.test_fencing import until
from tests.jobs.workers import worker_process
from tests.runs_helpers import MODEL, load_run, start, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

CHAIN = steps(
    {"key": "a", "prompt": "A"},
    {"key": "b", "prompt": "B {{steps.a.output}}"},
    {"key": "c", "prompt": "C {{steps.b.output}}"},
)


@pytest.mark.parametrize("how", ["paused_then_restarted", "killed_while_pausing"])
async def test_pause_restart_the_worker_resume_and_nothing_is_paid_twice(
    tenants: TenantFactory, fake_llm: FakeLLM, how: str
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
    release = threading.Event()

    def model(prompt: str) -> str:
        if prompt.startswith("B"):
            release.wait(120)
        return f"answer to {prompt[:12]}"

    fake_llm.script(MODEL, then=respond(model))
    run_id = await start(ws, await workflow(ws, definition=CHAIN))

    async def b_in_flight() -> bool:
        return fake_llm.calls() == 2

    async def status_is(wanted: RunStatus):  # type: ignore[no-untyped-def]
        async def check():  # type: ignore[no-untyped-def]
            run = await load_run(ws, run_id)
            return run if run.status == wanted else None

        return check

    with worker_process() as first:
        await until(b_in_flight)
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await pausing.pause_run(s, ws.ctx, run_id, "finish")
        if how == "paused_then_restarted":

            async def heard() -> bool:  # the worker learnt of the pause (NOTIFY) before B answers
                return "pause asked (finish)" in first.output()

            await until(heard, timeout=60)
            release.set()  # B finishes; C is not started
            paused = await until(await status_is(RunStatus.PAUSED))
            assert first.proc.poll() is None  # the worker lives on, free
            assert first.terminate() == 0
        else:
            first.kill()  # before it could pause: the request stays on the run
            release.set()
    assert (await step_rows(ws, run_id))[("c", -1)].status == StepStatus.QUEUED
    with worker_process() as second:
        if how == "killed_while_pausing":  # the second worker takes the run over and pauses it at once
            paused = await until(await status_is(RunStatus.PAUSED))
            assert (await step_rows(ws, run_id))[("b", -1)].status == StepStatus.QUEUED
        assert (paused.paused_by, paused.pause_requested) == (ws.ctx.user_id, "")
        asked = fake_llm.calls()
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.resume_run(s, ws.ctx, run_id)
        run = await until(await status_is(RunStatus.SUCCEEDED))
        assert run.status == RunStatus.SUCCEEDED, second.output()[-3000:]

    prompts = [p[0] for p in fake_llm.prompts(MODEL)]
    if how == "paused_then_restarted":
        assert asked == 2 and prompts == ["A", "B", "C"]  # each step asked once, across the restart
    else:
        assert asked == 2 and prompts == ["A", "B", "B", "C"]  # B's first answer never reached a worker
    rows = await step_rows(ws, run_id)
    assert all(r.status == StepStatus.SUCCEEDED for r in rows.values())
    assert [len(rows[(k, -1)].call_ids) for k in "abc"] == [1, 1, 1]  # each step succeeded once
    async with transaction(ws.ctx.tenant_id) as s:
        calls = list(await s.exec(select(LlmCall)))
    accepted = [c for c in calls if any(c.call_id in r.call_ids for r in rows.values())]
    assert len(accepted) == 3 and run.cost_usd == sum(c.cost_usd for c in accepted)
