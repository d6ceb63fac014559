"""Personas at work in runs: a step that names a persona speaks with its system prompt first and
counts as a use (10 XP; a success only if the step succeeded), atomically, so runs finishing
together all count. Validation refuses a persona the workspace does not have."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from nyx_app.db.session import transaction
from nyx_app.models.run import RunStatus
from nyx_app.services.personas import store, usage
from nyx_app.services.personas.store import PersonaInput
from nyx_app.services.workflows import store as workflows
from nyx_app.services.workflows.store import WorkflowInvalid
from tests.fakes.llm_server import FakeLLM, LoggedRequest, answer, fault, respond
from tests.runs_helpers import MODEL, Workspace, run_to_end, start, statuses, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

PERSONA_PROMPT = "You are Rex, a grumpy but brilliant reviewer. Always end with 'Grr.'"


def system_of(request: LoggedRequest) -> str:
    system: Any = request.body.get("system", "")
    if isinstance(system, list):
        return " ".join(block.get("text", "") for block in system)
    return str(system)


async def persona(ws: Workspace, name: str = "Rex", prompt: str = PERSONA_PROMPT) -> str:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return str((await store.create_persona(s, ws.ctx, PersonaInput(name, system_prompt=prompt))).id)


async def experience(ws: Workspace, persona_id: str) -> tuple[int, int, int, int]:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        v = store.view(await store.get_persona(s, ws.ctx, persona_id))
    return v.xp, v.uses, v.successes, v.level


async def test_a_step_speaking_as_a_persona_leads_with_its_prompt_and_counts_a_use(tenants, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    rex = await persona(ws)
    definition = steps(
        {"key": "review", "prompt": "Review the login page", "system": "Answer in English.", "persona": rex},
        {"key": "plain", "prompt": "Summarise {{steps.review.output}}"},
    )
    run = await run_to_end(ws, await start(ws, await workflow(ws, definition=definition)))

    assert run.status == RunStatus.SUCCEEDED
    first, second = fake_llm.requests
    assert system_of(first) == f"{PERSONA_PROMPT}\n\nAnswer in English."  # the persona's words first
    assert PERSONA_PROMPT not in system_of(second)
    assert await experience(ws, rex) == (10, 1, 1, 1)


async def test_a_failed_step_counts_as_a_use_without_success(tenants, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    rex = await persona(ws)
    fake_llm.script(MODEL, then=fault("auth"))
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "Go", "persona": rex})))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED
    assert await experience(ws, rex) == (10, 1, 0, 1)


async def test_every_step_of_a_chain_spoken_as_a_persona_counts_once(tenants, fake_llm: FakeLLM) -> None:
    # The later steps of a run end in one round trip (db/pipeline.py); the use is counted there too.
    ws = await workspace(tenants, fake_llm)
    rex = await persona(ws)
    chain = [{"key": "s0", "prompt": "Start", "persona": rex}] + [
        {"key": f"s{i}", "prompt": f"Go on: {{{{steps.s{i - 1}.output}}}}", "persona": rex} for i in range(1, 6)
    ]

    run = await run_to_end(ws, await start(ws, await workflow(ws, definition=steps(*chain))))

    assert run.status == RunStatus.SUCCEEDED
    assert await experience(ws, rex) == (60, 6, 6, 1)


async def test_two_runs_finishing_together_both_count(tenants, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    rex = await persona(ws)
    fake_llm.script(MODEL, then=respond(lambda p: f"ok {p}", latency=0.3))
    first = await workflow(ws, definition=steps({"key": "a", "prompt": "One", "persona": rex}))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        copy = await workflows.duplicate_workflow(s, ws.ctx, first)
    runs = [await start(ws, first), await start(ws, copy.id)]

    done = await asyncio.gather(*(run_to_end(ws, r) for r in runs))

    assert [r.status for r in done] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    assert fake_llm.max_in_flight == 2  # they really ran (and finished) side by side
    assert await experience(ws, rex) == (20, 2, 2, 1)


async def test_uses_recorded_at_the_same_moment_are_never_lost(tenants, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    rex = await persona(ws)
    gate = asyncio.Event()

    async def one(succeeded: bool) -> None:
        async with transaction(ws.ctx.tenant_id) as s:
            await gate.wait()  # every transaction is open before any of them writes
            await usage.record_use(s, uuid.UUID(rex), succeeded=succeeded)

    tasks = [asyncio.create_task(one(i % 4 != 0)) for i in range(12)]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(*tasks)

    # 12 uses, 9 of them successful: 120 XP is level 2 with 20 XP into it.
    assert await experience(ws, rex) == (120, 12, 9, 2)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        view = store.view(await store.get_persona(s, ws.ctx, rex))
    assert view.xp_into_level == 20 and view.success_rate == 0.75


async def test_a_step_naming_an_unknown_or_deleted_persona_is_refused(tenants, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    rex = await persona(ws)
    wf = await workflow(ws, definition=steps({"key": "a", "prompt": "Go", "persona": rex}))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await store.delete_persona(s, ws.ctx, rex)

    with pytest.raises(WorkflowInvalid) as invalid:
        await start(ws, wf)
    assert invalid.value.message == "The saved workflow cannot start: 1 problem (marked at the steps they concern)."
    [problem] = invalid.value.problems
    assert (problem.step, problem.message) == (
        "a",
        "It speaks as a persona that does not exist (any more) in this workspace: pick another.",
    )


async def test_a_persona_deleted_while_its_run_waits_fails_its_step_in_words(tenants, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    rex = await persona(ws)
    fake_llm.script(MODEL, then=answer("fine"))
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "Go", "persona": rex})))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await store.delete_persona(s, ws.ctx, rex)

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED and "persona this step speaks as was deleted" in run.error
    assert await statuses(ws, run_id) == {"a": "failed"}
    assert fake_llm.calls() == 0
