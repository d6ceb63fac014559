"""The run engine against the fake LLM server: order, parallelism, validation, failure, resume,
review, cancel, and the bad inputs a user can run into. The executor runs in-process here; the
tests in tests/jobs run it in real worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading

import pytest
from sqlmodel import select

from nyx_app.db.engine import app_engine
from nyx_app.db.pipeline import HeldConnection
from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall
from nyx_app.models.run import NO_ITEM, RunStatus, StepStatus
from nyx_app.models.workflow import WorkflowInsight
from nyx_app.services import projects
from nyx_app.services.engine import autocontext
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.executor import RunExecutor
from nyx_app.services.engine.record import Recorder
from nyx_app.services.llm import catalog, preferences
from nyx_app.services.runs import control, views
from nyx_app.services.workflows.builtin import ANALYSE_REVIEW, FLAGSHIP
from nyx_app.settings import get_settings
from tests.factories import TenantFactory
from tests.fakes.fixtures import connect_providers
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, answer, empty, image_parts, respond
from tests.runs_helpers import MODEL, load_run, run_to_end, start, statuses, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Until the fake server reports what the test waits for (requests arrive from the engine)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def test_flagship_plans_every_action_point_side_by_side(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=2, images=3)
    # The plan requests wait for each other at a barrier: it opens only if all 13 are in flight at
    # once, whatever the machine's load (one after another, it would time out).
    barrier, opened = threading.Barrier(13, timeout=60), []
    plays = flagship(13)

    def model(prompt: str) -> str:
        if prompt.startswith("Write a detailed implementation plan"):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
                opened.append(True)
        return plays(prompt)

    fake_llm.script(MODEL, then=respond(model))
    run_id = await start(ws, await workflow(ws, template=FLAGSHIP))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.SUCCEEDED, run.error
    rows = await step_rows(ws, run_id)
    plans = [r for (k, i), r in rows.items() if k == "plan" and i != NO_ITEM]
    assert len(plans) == 13 and all(p.status == StepStatus.SUCCEEDED for p in plans)
    assert [p.label for p in plans] == [f"Action {i}" for i in range(1, 14)]
    assert plans[4].output.startswith("Plan 5: Action 5")
    assert fake_llm.calls(MODEL) == 17  # enrich, action points, 13 plans, synthesis, final
    assert len(opened) == 13 and fake_llm.max_in_flight >= 13  # side by side, not one after another
    # Steps stream their answers; the 13 plans, side by side, do not (parsing 13 streams at once
    # costs the worker's event loop more than it shows anyone).
    streamed = [r.stream for r in fake_llm.requests]
    assert streamed.count(False) == 13 and streamed.count(True) == 4
    # The screenshots went to the (vision) model with the enrichment step, and only there.
    assert [image_parts(r) for r in fake_llm.requests].count(3) == 1
    assert rows[("final", NO_ITEM)].output.startswith("Final implementation prompt")
    assert run.cost_usd > 0 and run.tokens_in > 0

    async with transaction(ws.ctx.tenant_id) as s:
        view = await views.run_view(s, ws.ctx, run_id)
        calls = list(await s.exec(select(LlmCall)))
    assert (view.done, view.total) == (4 + 13, 4 + 13)
    [coverage] = view.coverage
    assert (coverage.covered, coverage.total, coverage.missing) == (13, 13, [])
    plan_view = next(s for s in view.steps if s.key == "plan")
    assert plan_view.items_done == 13 and plan_view.items[0].sources[0].ref == "N1"
    assert {s.kind for s in plan_view.items[0].sources} == {"note", "image"}
    # Every attempt is an llm_call row, linked from its step.
    assert len(calls) == 17
    assert {c for r in rows.values() for c in r.call_ids} == {c.call_id for c in calls}


async def test_steps_wait_for_what_they_name_and_independent_ones_run_together(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    together = threading.Barrier(2, timeout=60)  # a and b must be in flight at the same time

    def model(prompt: str) -> str:
        if prompt.startswith("first"):
            together.wait()
        return f"answer to <{prompt[:12]}>"

    fake_llm.script(MODEL, then=respond(model))
    definition = steps(
        {"key": "a", "prompt": "first A"},
        {"key": "b", "prompt": "first B"},
        {"key": "c", "prompt": "then C with {{steps.a.output}} and {{steps.b.output}}"},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.SUCCEEDED
    prompts = fake_llm.prompts(MODEL)
    assert sorted(prompts[:2]) == ["first A", "first B"]  # a and b first (together) …
    assert prompts[2] == "then C with answer to <first A> and answer to <first B>"  # … c after both
    assert not together.broken


async def test_auto_context_injects_dependencies_and_records_the_trimming(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = await workspace(tenants, fake_llm)
    long_answer = " ".join(f"word{i}" for i in range(6000))
    fake_llm.script(MODEL, answer(long_answer), then=answer("short"))
    definition = steps(
        {"key": "draft", "prompt": "Write a lot"}, {"key": "sum", "prompt": "Summarise", "depends_on": ["draft"]}
    )
    run_id = await start(ws, await workflow(ws, definition=definition))
    monkeypatch.setattr(autocontext, "context_window", lambda model, default: 6_000)

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.SUCCEEDED
    second = fake_llm.prompts(MODEL)[1]
    assert second.startswith("Summarise\n\n---\nContext from earlier steps:")
    assert "characters left out to fit the model's context window" in second
    assert len(second) < len(long_answer)
    row = (await step_rows(ws, run_id))[("sum", NO_ITEM)]
    assert row.context_note.startswith(
        "Auto-context trimmed to fit the model's 6,000-token context window: draft cut from"
    )


async def test_a_json_step_whose_answer_does_not_parse_moves_to_the_next_model(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    await connect_providers(ws.ctx, fake_llm, "openai")
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await preferences.set_fallback_order(s, ws.ctx, ["openai/gpt-4.1-mini"])
    fake_llm.script(MODEL, answer("Sure! Here are your action points: one, two"))
    fake_llm.script("gpt-4.1-mini", answer('```json\n["one", "two"]\n```'))
    definition = steps({"key": "points", "prompt": "List", "output": "json_list"})
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.SUCCEEDED
    row = (await step_rows(ws, run_id))[("points", NO_ITEM)]
    assert row.output_data == ["one", "two"] and row.model == "openai/gpt-4.1-mini"
    assert [(a["provider"], a["status"], a["error_kind"]) for a in row.attempts] == [
        ("anthropic", "failed", "invalid_answer"),
        ("openai", "ok", ""),
    ]


async def test_a_json_answer_that_does_not_fit_the_step_schema_moves_to_the_next_model(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    await connect_providers(ws.ctx, fake_llm, "openai")
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await preferences.set_fallback_order(s, ws.ctx, ["openai/gpt-4.1-mini"])
    fake_llm.script(MODEL, answer('{"title": 7}'))
    fake_llm.script("gpt-4.1-mini", answer('{"title": "Seven"}'))
    schema = {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}
    definition = steps({"key": "post", "prompt": "Write", "output": "json_object", "output_schema": schema})
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.SUCCEEDED
    row = (await step_rows(ws, run_id))[("post", NO_ITEM)]
    assert row.output_data == {"title": "Seven"}
    assert row.attempts[0]["error_kind"] == "invalid_answer"
    assert row.attempts[0]["error_message"] == "The answer was not usable: title: 7 is not of type 'string'"


async def test_a_fan_out_source_malformed_from_every_model_fails_the_run_in_words(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=answer("no JSON here"))
    definition = steps(
        {"key": "points", "prompt": "List", "output": "json_list"},
        {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
        {"key": "final", "prompt": "{{steps.plan.output}}"},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Step 'Points' failed: No model produced an answer.")
    assert "answer not usable" in run.error and "not valid JSON" in run.error
    assert await statuses(ws, run_id) == {"points": "failed", "plan": "skipped", "final": "skipped"}


async def test_an_empty_answer_is_never_accepted(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=empty())
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "Say something"})))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED and "empty answer" in run.error
    assert (await step_rows(ws, run_id))[("a", NO_ITEM)].output == ""


async def test_an_answer_whose_step_could_not_be_saved_is_still_logged_as_spent(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, answer("Done"))
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "Say something"})))
    real_write = Recorder._write

    async def failing_write(self: Recorder, session: object, event: object) -> None:
        if isinstance(event, ev.StepSucceeded):
            raise ConnectionError("the database went away")
        await real_write(self, session, event)  # type: ignore[arg-type]

    monkeypatch.setattr(Recorder, "_write", failing_write)
    with pytest.raises(ConnectionError):
        await RunExecutor(ws.ctx.tenant_id, run_id).execute()

    # The step is not done (a worker picking the run up again calls the model again), but the
    # answer was paid for: its attempt is in the spend log.
    assert (await step_rows(ws, run_id))[("a", NO_ITEM)].status == StepStatus.RUNNING
    async with transaction(ws.ctx.tenant_id) as s:
        calls = list(await s.exec(select(LlmCall)))
    assert [(c.status, c.tokens_out > 0) for c in calls] == [("ok", True)]


async def test_every_answer_of_a_long_chain_is_logged_once_with_its_step(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After the first steps, a step's end (with its answer's llm_call row) and the next step's start
    # go out in one round trip (db/pipeline.py): the same rows as the slower path, once each.
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(lambda prompt: f"ok {len(prompt)}"))
    chain = [{"key": "s0", "prompt": "start"}] + [
        {"key": f"s{i}", "prompt": f"next {i}: {{{{steps.s{i - 1}.output}}}}"} for i in range(1, 8)
    ]
    at_once: list[tuple[int, int]] = []  # per round trip: steps ended, steps started
    real_write = HeldConnection.write

    async def counted(self, tenant_id, user_id, statements, **kwargs):  # type: ignore[no-untyped-def]
        ended = sum("INSERT INTO llm_call" in s.sql for s in statements)
        started = sum("started_at=now()" in s.sql.replace(" ", "") for s in statements)
        at_once.append((ended, started))
        await real_write(self, tenant_id, user_id, statements, **kwargs)

    monkeypatch.setattr(HeldConnection, "write", counted)
    checked_out = app_engine().pool.checkedout()  # type: ignore[attr-defined]
    run_id = await start(ws, await workflow(ws, definition=steps(*chain)))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.SUCCEEDED, run.error
    # s0 takes the slower path (the set-up is read, the provider's badge set); of the others, each
    # step's end goes with the next one's start, and the last one's end alone
    assert at_once[-1] == (1, 0) and at_once.count((1, 1)) >= 5, at_once
    # on the connection the run kept for them, which is back in the pool
    assert app_engine().pool.checkedout() == checked_out  # type: ignore[attr-defined]
    rows = await step_rows(ws, run_id)
    async with transaction(ws.ctx.tenant_id) as s:
        calls = list(await s.exec(select(LlmCall)))
    assert sorted(c.call_id for c in calls) == sorted(r.call_ids[0] for r in rows.values())
    assert all(c.status == "ok" and c.user_id == ws.ctx.user_id and c.purpose.startswith("run · ") for c in calls)
    assert run.cost_usd == sum(c.cost_usd for c in calls) > 0
    assert len({c.id for c in calls}) == 8


async def test_an_answer_whose_short_write_failed_is_still_logged_as_spent(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=answer("Done"))
    definition = steps({"key": "a", "prompt": "Say something"}, {"key": "b", "prompt": "More: {{steps.a.output}}"})
    run_id = await start(ws, await workflow(ws, definition=definition))
    real_write = HeldConnection.write

    async def failing(self: HeldConnection, tenant_id, user_id, statements, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if any("INSERT INTO llm_call" in s.sql for s in statements):  # a step's success, on the short path
            raise ConnectionError("the database went away")
        await real_write(self, tenant_id, user_id, statements, **kwargs)

    monkeypatch.setattr(HeldConnection, "write", failing)
    with pytest.raises(ConnectionError):
        await RunExecutor(ws.ctx.tenant_id, run_id).execute()
    monkeypatch.setattr(HeldConnection, "write", real_write)

    rows = await step_rows(ws, run_id)
    assert (rows[("a", NO_ITEM)].status, rows[("b", NO_ITEM)].status) == (StepStatus.SUCCEEDED, StepStatus.RUNNING)
    async with transaction(ws.ctx.tenant_id) as s:
        calls = list(await s.exec(select(LlmCall)))
    assert [c.status for c in calls] == ["ok", "ok"]  # b's answer was paid for: it is in the log


async def test_a_budget_exhausted_mid_run_stops_it_with_the_budget_message(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await preferences.set_budget(s, ws.ctx, "0.50")
    definition = steps(
        {"key": "small", "prompt": "Be brief", "max_tokens": 100},
        {"key": "huge", "prompt": "Write a book: {{steps.small.output}}", "max_tokens": 64000},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED
    assert "Monthly LLM budget reached" in run.error and "Nothing was sent" in run.error
    assert await statuses(ws, run_id) == {"small": "succeeded", "huge": "failed"}
    assert fake_llm.calls() == 1


async def test_resume_goes_on_from_where_it_stopped_and_pays_nothing_twice(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    broken = {"Action 3"}

    def model(prompt: str) -> str:
        if prompt.startswith("List"):
            return json.dumps([{"title": f"Action {i}"} for i in range(1, 5)])
        if any(b in prompt for b in broken):
            return ""  # an empty answer: that item fails
        return f"done: {prompt}"

    fake_llm.script(MODEL, then=respond(model))
    definition = steps(
        {"key": "points", "prompt": "List", "output": "json_list"},
        {"key": "plan", "prompt": "Plan {{item.title}}", "for_each": "points"},
        {"key": "final", "prompt": "All: {{steps.plan.output}}"},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))
    first = await run_to_end(ws, run_id)
    assert first.status == RunStatus.FAILED
    assert first.error == "Step 'Plan' failed: 1 of 4 items did not finish: Action 3"
    assert await statuses(ws, run_id) == {"points": "succeeded", "plan": "failed", "final": "skipped"}

    broken.clear()
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.resume_run(s, ws.ctx, run_id)
    resumed = await run_to_end(ws, run_id)

    assert resumed.status == RunStatus.SUCCEEDED
    prompts = fake_llm.prompts(MODEL)
    assert prompts.count("List") == 1
    assert [prompts.count(f"Plan Action {i}") for i in range(1, 5)] == [1, 1, 2, 1]  # only the failed one again
    assert "Plan Action 3" in (await step_rows(ws, run_id))[("final", NO_ITEM)].output


async def test_review_pauses_the_run_and_approval_continues_with_the_edited_text(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(flagship()))
    run_id = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))

    paused = await run_to_end(ws, run_id)
    assert paused.status == RunStatus.WAITING
    assert await statuses(ws, run_id) == {"analyse": "succeeded", "review": "waiting_review", "generate": "queued"}
    async with transaction(ws.ctx.tenant_id) as s:
        assert (await views.run_view(s, ws.ctx, run_id)).review_text == "Analysis: the project needs a login page."

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.approve_review(s, ws.ctx, run_id, "review", "Analysis: needs a login page AND a signup page.")
    done = await run_to_end(ws, run_id)

    assert done.status == RunStatus.SUCCEEDED
    # generate names no step: auto-context gave it the approved (edited) text.
    assert "AND a signup page" in fake_llm.prompts(MODEL)[-1]
    async with transaction(ws.ctx.tenant_id) as s:
        [insight] = list(await s.exec(select(WorkflowInsight)))
    assert (insight.run_id, insight.step_key, insight.text) == (
        run_id,
        "review",
        "Analysis: needs a login page AND a signup page.",
    )


async def test_rejecting_a_review_fails_the_run_with_the_reason(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(flagship()))
    run_id = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))
    await run_to_end(ws, run_id)

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.reject_review(s, ws.ctx, run_id, "review", "It ignores the billing notes.")
    run = await load_run(ws, run_id)

    assert run.status == RunStatus.FAILED and run.error == "The review was rejected: It ignores the billing notes."
    assert await statuses(ws, run_id) == {"analyse": "succeeded", "review": "failed", "generate": "skipped"}
    assert fake_llm.calls() == 1


async def test_cancel_stops_in_flight_calls_and_marks_unfinished_steps(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(lambda p: "slow", latency=30))
    definition = steps(
        {"key": "a", "prompt": "A"}, {"key": "b", "prompt": "B"}, {"key": "c", "prompt": "{{steps.a.output}}"}
    )
    run_id = await start(ws, await workflow(ws, definition=definition))
    executor = RunExecutor(ws.ctx.tenant_id, run_id)
    running = asyncio.create_task(executor.execute())
    await wait_for(lambda: fake_llm.calls() == 2)

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.cancel_run(s, ws.ctx, run_id)
    executor.stop.set()  # what the job's NOTIFY relay does (tests/jobs covers the cross-process path)
    status = await asyncio.wait_for(running, 10)

    assert status == RunStatus.CANCELLED
    assert await statuses(ws, run_id) == {"a": "cancelled", "b": "cancelled", "c": "cancelled"}
    run = await load_run(ws, run_id)
    assert (run.status, run.error) == ("cancelled", "Cancelled by a user.")


async def test_a_run_whose_project_is_deleted_mid_run_ends_without_a_trace(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(lambda p: "ok", latency=0.5))
    run_id = await start(
        ws,
        await workflow(ws, definition=steps({"key": "a", "prompt": "A"}, {"key": "b", "prompt": "{{steps.a.output}}"})),
    )
    running = asyncio.create_task(RunExecutor(ws.ctx.tenant_id, run_id).execute())
    await wait_for(lambda: fake_llm.calls() == 1)

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await projects.delete_project(s, ws.ctx, ws.project_id)
    await asyncio.wait_for(running, 10)

    assert fake_llm.calls() == 1  # the call in flight; b, which waited for it, was never asked

    async with transaction(ws.ctx.tenant_id) as s:
        with pytest.raises(Exception, match="Run not found"):
            await views.run_view(s, ws.ctx, run_id)


async def test_a_template_problem_at_run_time_fails_that_item_in_words(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, answer('[{"title": "one"}, {"name": "two"}]'), then=answer("ok"))
    definition = steps(
        {"key": "points", "prompt": "List", "output": "json_list"},
        {"key": "plan", "prompt": "Plan {{item.title}}", "for_each": "points"},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED
    rows = await step_rows(ws, run_id)
    assert (
        rows[("plan", 1)].error == "The template uses something that does not exist: this value has no field 'title'."
    )
    assert rows[("plan", 0)].status == StepStatus.SUCCEEDED


async def test_a_finished_step_stays_done_when_the_next_one_fails_before_it_starts(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    # A step's success goes out with the next step's start; this next step fails first (its
    # template reads a field the answer does not have): the finished step is written all the same.
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, answer("Go"), answer('{"title": "A plan"}'), then=answer("never"))
    definition = steps(
        {"key": "first", "prompt": "Start"},
        {"key": "plan", "prompt": "Plan after {{steps.first.output}}", "output": "json_object"},
        {"key": "use", "prompt": "Use {{steps.plan.data.summary}}"},
    )
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.FAILED
    rows = await step_rows(ws, run_id)
    assert rows[("plan", NO_ITEM)].status == StepStatus.SUCCEEDED
    assert rows[("plan", NO_ITEM)].output == '{"title": "A plan"}'
    assert rows[("use", NO_ITEM)].status == StepStatus.FAILED
    assert "no field 'summary'" in rows[("use", NO_ITEM)].error
    async with transaction(ws.ctx.tenant_id) as s:
        calls = list(await s.exec(select(LlmCall)))
    assert sorted(c.call_id for c in calls) == sorted(rows[(k, NO_ITEM)].call_ids[0] for k in ("first", "plan"))
    assert fake_llm.calls(MODEL) == 2


async def test_a_model_that_cannot_see_gets_the_image_descriptions(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(catalog.OVERRIDES, "anthropic/claude-sonnet-4-6", {"vision": False})
    catalog.catalog.cache_clear()
    try:
        ws = await workspace(tenants, fake_llm, images=2)
        definition = steps({"key": "look", "prompt": "What do you see? {{notes}}", "images": True})
        run_id = await start(ws, await workflow(ws, definition=definition))
        run = await run_to_end(ws, run_id)
    finally:
        catalog.catalog.cache_clear()

    assert run.status == RunStatus.SUCCEEDED
    [request] = fake_llm.requests
    assert image_parts(request) == 0
    assert "The screenshots cannot be shown to this model; their descriptions:\n[N1.1]" in fake_llm.prompts()[0]


async def test_an_unstreamed_item_may_take_longer_than_the_silence_a_streamed_step_is_allowed(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items arrive whole, so their limit covers the whole generation, not just the wait for the
    first chunk: a plan that takes longer than ``llm_timeout_seconds`` to write still arrives."""
    ws = await workspace(tenants, fake_llm)
    monkeypatch.setattr(get_settings(), "llm_timeout_seconds", 1.0)

    definition = steps(
        {"key": "points", "prompt": "List", "output": "json_list"},
        {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
    )
    # The list comes at once (streamed); each plan takes 1.5 s to arrive, whole.
    fake_llm.script(
        MODEL, answer(json.dumps(["login page", "sign-up page"])), then=respond(lambda p: f"Plan: {p}", latency=1.5)
    )
    run_id = await start(ws, await workflow(ws, definition=definition))

    run = await run_to_end(ws, run_id)

    assert run.status == RunStatus.SUCCEEDED, run.error
    rows = await step_rows(ws, run_id)
    assert rows[("plan", 0)].output == "Plan: Plan login page"
    assert all(not r.stream for r in fake_llm.requests[1:])  # the items, unstreamed
