"""Comparing models on a step: every model answers the same input, the steps before are reused
(not asked again), a failing model shows its failure beside the others' answers (no fallback), a
model the workspace cannot reach and a budget too small are refused before anything starts, and
the winner becomes the step's model when asked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nyx_app.db.session import transaction
from nyx_app.models.run import NO_ITEM, RunKind, RunStatus
from nyx_app.services.errors import InvalidInput, NotFound, ServiceError
from nyx_app.services.llm import preferences
from nyx_app.services.runs import model_compare, views
from nyx_app.services.workflows import store
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, fault, respond
from tests.runs_helpers import MODEL, load_run, run_to_end, start, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

OTHER = "claude-sonnet-4-5"  # another Anthropic model of the catalog, answered by the same fake
CHAIN = steps({"key": "a", "prompt": "A"}, {"key": "b", "prompt": "B {{steps.a.output}}"})


async def compare(ws, run_id, key: str, models: list[str]):  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return (await model_compare.start_comparison(s, ws.ctx, run_id, key, models)).id


async def finished_chain(ws, fake_llm: FakeLLM):  # type: ignore[no-untyped-def]
    fake_llm.script(MODEL, then=respond(lambda p: f"sonnet: {p[:20]}"))
    fake_llm.script(OTHER, then=respond(lambda p: f"other: {p[:20]}"))
    wf = await workflow(ws, definition=CHAIN)
    run_id = await start(ws, wf)
    assert (await run_to_end(ws, run_id)).status == RunStatus.SUCCEEDED
    return wf, run_id


async def test_two_models_answer_the_same_input_and_the_winner_becomes_the_steps_model(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    wf, run_id = await finished_chain(ws, fake_llm)
    asked = len(fake_llm.requests)

    compared = await compare(ws, run_id, "b", [f"anthropic/{MODEL}", f"anthropic/{OTHER}"])
    run = await run_to_end(ws, compared)

    assert (run.kind, run.status) == (RunKind.MODEL_COMPARE, RunStatus.SUCCEEDED)
    new = fake_llm.requests[asked:]
    assert sorted(r.model for r in new) == sorted([MODEL, OTHER])  # A was not asked again
    rows = await step_rows(ws, compared)
    assert rows[("a", NO_ITEM)].reused_from is not None
    assert rows[("b__1", NO_ITEM)].output.startswith("sonnet: B sonnet: A")
    assert rows[("b__2", NO_ITEM)].output.startswith("other: B sonnet: A")  # the same input
    async with transaction(ws.ctx.tenant_id) as s:
        view = await views.run_view(s, ws.ctx, compared)
    assert [(st.key, st.model) for st in view.steps][1:] == [
        ("b__1", f"anthropic/{MODEL}"),
        ("b__2", f"anthropic/{OTHER}"),
    ]

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        winner = await model_compare.pick_winner(s, ws.ctx, compared, "b__2", apply=True)
    assert winner == f"anthropic/{OTHER}"
    assert (await load_run(ws, compared)).inputs["compare"]["winner"] == winner
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        saved = await store.get_workflow(s, ws.ctx, wf)
    assert saved.definition["steps"][1]["model"] == winner


async def test_a_failing_model_shows_its_failure_beside_the_others_answers(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    _, run_id = await finished_chain(ws, fake_llm)
    fake_llm.script(OTHER, then=fault("server"))

    compared = await compare(ws, run_id, "b", [f"anthropic/{MODEL}", f"anthropic/{OTHER}"])
    run = await run_to_end(ws, compared)

    rows = await step_rows(ws, compared)
    assert run.status == RunStatus.FAILED
    assert rows[("b__1", NO_ITEM)].status == "succeeded" and rows[("b__1", NO_ITEM)].output.startswith("sonnet")
    assert rows[("b__2", NO_ITEM)].status == "failed" and rows[("b__2", NO_ITEM)].error
    assert {a["model"] for a in rows[("b__2", NO_ITEM)].attempts} == {OTHER}  # no fallback to another model
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(ServiceError, match="gave no answer"):
            await model_compare.pick_winner(s, ws.ctx, compared, "b__2")


async def test_what_cannot_be_compared_is_refused_before_anything_starts(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    _, run_id = await finished_chain(ws, fake_llm)
    asked = len(fake_llm.requests)
    with pytest.raises(InvalidInput, match=r"cannot reach openai/gpt-4\.1"):
        await compare(ws, run_id, "b", [f"anthropic/{MODEL}", "openai/gpt-4.1"])
    with pytest.raises(InvalidInput, match="Choose 2 to 4 different models"):
        await compare(ws, run_id, "b", [f"anthropic/{MODEL}", f"anthropic/{MODEL}"])
    with pytest.raises(NotFound):
        await compare(ws, run_id, "zzz", [f"anthropic/{MODEL}", f"anthropic/{OTHER}"])
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await preferences.set_budget(s, ws.ctx, "0.000001")
    with pytest.raises(InvalidInput, match=r"may cost up to .* budget left"):
        await compare(ws, run_id, "b", [f"anthropic/{MODEL}", f"anthropic/{OTHER}"])
    assert len(fake_llm.requests) == asked
    assert Decimal(0) <= (await load_run(ws, run_id)).cost_usd
