"""Hostile prompts and schemas in real runs: a step whose template or schema goes past its limits
fails in words and calls no model; a schema written past the editor is refused when the run
starts, and if it reaches a run anyway, fetches nothing; a catastrophic pattern is harmless."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import col

from nyx_app.db.session import transaction
from nyx_app.models.run import NO_ITEM, Run, RunStatus
from nyx_app.models.workflow import Workflow
from nyx_app.services.runs import control
from nyx_app.services.workflows.store import WorkflowInvalid
from tests.factories import TenantFactory
from tests.fakes.listener import Listener
from tests.fakes.llm_server import FakeLLM, answer
from tests.runs_helpers import MODEL, run_to_end, start, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    found = Listener()
    yield found
    found.close()


async def test_a_template_past_its_budget_fails_its_step_in_words_and_calls_no_model(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=answer("fine"))
    loops = "{% for i in range(16000) %}{% for j in range(16000) %}{% endfor %}{% endfor %}"
    definition = steps({"key": "a", "prompt": "Hello {{ project.name }}"}, {"key": "b", "prompt": loops})
    run = await run_to_end(ws, await start(ws, await workflow(ws, definition=definition)))
    rows = await step_rows(ws, run.id)
    assert run.status == RunStatus.FAILED
    assert rows[("a", NO_ITEM)].status == "succeeded"
    assert rows[("b", NO_ITEM)].error == (
        "The template went past its limits: the template repeats more than 1,000,000 times (loops and macro calls)."
    )
    assert fake_llm.prompts(MODEL) == ["Hello Onboarding"]


async def _write_past_the_editor(ws, workflow_id, definition) -> None:  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await s.execute(update(Workflow).where(col(Workflow.id) == workflow_id).values(definition=definition))


async def test_a_schema_written_past_the_editor_is_refused_at_start_and_fetches_nothing(
    tenants: TenantFactory, fake_llm: FakeLLM, listener: Listener
) -> None:
    ws = await workspace(tenants, fake_llm)
    workflow_id = await workflow(ws, definition=steps({"key": "post", "prompt": "Write", "output": "json_object"}))
    schema = {"$ref": listener.url}
    hostile = steps({"key": "post", "prompt": "Write", "output": "json_object", "output_schema": schema})
    await _write_past_the_editor(ws, workflow_id, hostile)
    with pytest.raises(WorkflowInvalid) as refused:
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.start_workflow_run(s, ws.ctx, workflow_id)
    [problem] = refused.value.problems
    assert problem.step == "post" and "may only point inside this schema" in problem.message
    assert listener.hits == []


async def test_a_schema_that_reaches_a_run_anyway_fails_the_step_before_any_call(
    tenants: TenantFactory, fake_llm: FakeLLM, listener: Listener, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.json"
    secret.write_text('{"const": "SECRET-FROM-FILE"}')
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=answer('{"title": "x"}'))
    workflow_id = await workflow(ws, definition=steps({"key": "post", "prompt": "Write", "output": "json_object"}))
    for ref in (listener.url + "/schema.json", secret.as_uri()):
        run_id = await start(ws, workflow_id)
        hostile = steps({"key": "post", "prompt": "Write", "output": "json_object", "output_schema": {"$ref": ref}})
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:  # e.g. a database edit
            await s.execute(update(Run).where(col(Run.id) == run_id).values(definition=hostile))
        run = await run_to_end(ws, run_id)
        error = (await step_rows(ws, run_id))[("post", NO_ITEM)].error
        assert run.status == RunStatus.FAILED
        assert error.startswith("The step's output schema cannot be used. $ref (at the top) may only point inside")
        assert "SECRET" not in error and "SECRET" not in run.error
    assert listener.hits == []
    assert fake_llm.calls() == 0


async def test_a_catastrophic_pattern_rejects_the_answer_at_once(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=answer('{"a": "' + "a" * 40 + '!"}'))  # 2**40 steps for a backtracking engine
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    definition = steps({"key": "post", "prompt": "Write", "output": "json_object", "output_schema": schema})
    run = await run_to_end(ws, await start(ws, await workflow(ws, definition=definition)))
    row = (await step_rows(ws, run.id))[("post", NO_ITEM)]
    assert run.status == RunStatus.FAILED
    assert {a["error_message"] for a in row.attempts} == {
        "The answer was not usable: a: '" + "a" * 40 + "!' does not match '^(a+)+$'"
    }
