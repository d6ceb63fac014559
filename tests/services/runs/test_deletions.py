"""Deleting what a running run uses: the project (the run stops, its calls in flight are closed,
nothing more is asked), a persona (its steps not yet started fail in words), a workflow (the run
goes on from its snapshot and stops pointing at it). The run's job task runs here in-process,
listening on the control channel as it does in a worker."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from nyx_app.db.session import transaction
from nyx_app.jobs.tasks import run_task
from nyx_app.live.hub import hub
from nyx_app.models.run import RunStatus
from nyx_app.services import projects
from nyx_app.services.errors import NotFound
from nyx_app.services.personas import store as personas
from nyx_app.services.personas.store import PersonaInput
from nyx_app.services.runs import views
from nyx_app.services.workflows import store
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond, stall
from tests.runs_helpers import MODEL, load_run, start, statuses, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


@pytest.fixture(autouse=True)
async def _hub_closed() -> AsyncIterator[None]:
    yield
    await hub().close()  # the job's control-channel listener, of this test's event loop


async def until(predicate, timeout: float = 180.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def job(ws, run_id) -> asyncio.Task[None]:  # type: ignore[no-untyped-def]
    """The run's job, as a worker runs it."""
    return asyncio.create_task(run_task.func(str(ws.ctx.tenant_id), str(run_id)))


async def test_deleting_the_project_stops_its_run_and_nothing_more_is_asked(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, respond(lambda p: json.dumps(["one", "two", "three", "four"])), then=stall(60))
    definition = steps(
        {"key": "points", "prompt": "List", "output": "json_list"},
        {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
        {"key": "final", "prompt": "Sum up {{steps.plan.output}}"},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))
    running = job(ws, run_id)
    await until(lambda: fake_llm.calls() == 5)  # the list, and four plans in flight

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await projects.delete_project(s, ws.ctx, ws.project_id)
    await asyncio.wait_for(running, 40)  # not the 60 s its calls would have taken

    assert fake_llm.calls() == 5
    async with transaction(ws.ctx.tenant_id) as s:
        with pytest.raises(NotFound):
            await views.run_view(s, ws.ctx, run_id)


async def test_deleting_a_persona_fails_its_steps_not_yet_started_in_words(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        rex = str((await personas.create_persona(s, ws.ctx, PersonaInput("Rex", system_prompt="Be Rex."))).id)
    fake_llm.script(MODEL, then=respond(lambda p: "ok", latency=2.0))
    definition = steps(
        {"key": "draft", "prompt": "Draft"},
        {"key": "review", "prompt": "Review {{steps.draft.output}}", "persona": rex},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))
    running = job(ws, run_id)
    await until(lambda: fake_llm.calls() == 1)

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await personas.delete_persona(s, ws.ctx, rex)
    await asyncio.wait_for(running, 30)

    run = await load_run(ws, run_id)
    assert run.status == RunStatus.FAILED
    assert await statuses(ws, run_id) == {"draft": "succeeded", "review": "failed"}
    assert run.error == "Step 'Review' failed: The persona this step speaks as was deleted; choose another one."
    assert fake_llm.calls() == 1


async def test_deleting_the_workflow_leaves_its_run_going_from_its_snapshot(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(lambda p: "ok", latency=1.0))
    workflow_id = await workflow(ws, definition=steps({"key": "a", "prompt": "A"}, {"key": "b", "prompt": "B"}))
    run_id = await start(ws, workflow_id)
    running = job(ws, run_id)
    await until(lambda: fake_llm.calls() >= 1)

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await store.delete_workflow(s, ws.ctx, workflow_id)
    await asyncio.wait_for(running, 30)

    run = await load_run(ws, run_id)
    assert (run.status, run.workflow_id) == (RunStatus.SUCCEEDED, None)
    async with transaction(ws.ctx.tenant_id) as s:
        assert (await views.run_view(s, ws.ctx, run_id)).workflow_id == ""  # no "Open the workflow"
