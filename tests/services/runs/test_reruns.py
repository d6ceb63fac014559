"""Re-run from a step: earlier answers are reused, not asked for again (the fake LLM's request log),
the edited step and every step after it run again, the new run links to the old one and the two
compare step by step with the cost difference; what cannot be re-run says why."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from nyx_app.db.session import transaction
from nyx_app.models.run import NO_ITEM, RunStatus, StepStatus
from nyx_app.services.errors import Conflict, NotFound, ServiceError
from nyx_app.services.runs import compare, reruns
from nyx_app.services.workflows import store
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, load_run, run_to_end, start, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

CHAIN = steps(
    {"key": "a", "prompt": "A"},
    {"key": "b", "prompt": "B {{steps.a.output}}"},
    {"key": "c", "prompt": "C {{steps.b.output}}"},
    {"key": "side", "prompt": "Side note"},  # waits for nothing: reused too
)


async def rerun(ws, run_id, key: str, **edits):  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return (await reruns.rerun_from_step(s, ws.ctx, run_id, key, **edits)).id


def echo(fake_llm: FakeLLM) -> None:
    fake_llm.script(MODEL, then=respond(lambda p: f"<{p[:40]}>"))


async def test_a_rerun_reuses_earlier_answers_and_runs_the_edited_step_and_what_follows(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    echo(fake_llm)
    old_id = await start(ws, await workflow(ws, definition=CHAIN))
    old = await run_to_end(ws, old_id)
    assert old.status == RunStatus.SUCCEEDED and fake_llm.calls() == 4

    new_id = await rerun(ws, old_id, "b", prompt="Shorter: B {{steps.a.output}}")
    new = await run_to_end(ws, new_id)

    assert new.status == RunStatus.SUCCEEDED and (new.rerun_of, new.rerun_from) == (old_id, "b")
    again = fake_llm.prompts(MODEL)[4:]
    assert [p.split(" ")[0] for p in again] == ["Shorter:", "C"]  # A and Side were not asked again
    old_rows, new_rows = await step_rows(ws, old_id), await step_rows(ws, new_id)
    for key in ("a", "side"):
        row = new_rows[(key, NO_ITEM)]
        assert row.reused_from == old_rows[(key, NO_ITEM)].id and row.output == old_rows[(key, NO_ITEM)].output
        assert (row.cost_usd, row.tokens_in, row.call_ids) == (Decimal(0), 0, [])
    assert new_rows[("b", NO_ITEM)].output.startswith("<Shorter: B <A>")
    assert new.definition["steps"][1]["prompt"] == "Shorter: B {{steps.a.output}}"

    async with transaction(ws.ctx.tenant_id) as s:
        both = await compare.compare_runs(s, ws.ctx, old_id, new_id)
    by_key = {p.key: p for p in both.steps}
    assert [p.key for p in both.steps] == ["a", "b", "c", "side"]
    assert by_key["a"].same_output and by_key["a"].b.reused and not by_key["a"].a.reused
    assert not by_key["b"].same_output and not by_key["b"].b.reused
    assert both.a.cost_usd == old.cost_usd > 0 and both.b.cost_usd == new.cost_usd
    assert both.cost_difference == new.cost_usd - old.cost_usd < 0  # two answers instead of four


async def test_a_fan_out_before_the_step_is_reused_item_by_item(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(
        MODEL, then=respond(lambda p: json.dumps(["one", "two", "three"]) if p == "List" else f"<{p[:30]}>")
    )
    definition = steps(
        {"key": "points", "prompt": "List", "output": "json_list"},
        {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
        {"key": "final", "prompt": "Sum up {{steps.plan.output}}"},
    )
    old_id = await start(ws, await workflow(ws, definition=definition))
    assert (await run_to_end(ws, old_id)).status == RunStatus.SUCCEEDED
    asked = fake_llm.calls()

    new_id = await rerun(ws, old_id, "final", prompt="In one line: {{steps.plan.output}}")
    assert (await run_to_end(ws, new_id)).status == RunStatus.SUCCEEDED

    assert [p[:12] for p in fake_llm.prompts(MODEL)[asked:]] == ["In one line:"]
    items = [r for (k, i), r in (await step_rows(ws, new_id)).items() if k == "plan" and i != NO_ITEM]
    assert len(items) == 3 and all(r.status == StepStatus.SUCCEEDED and r.reused_from for r in items)


async def test_what_cannot_be_rerun_says_why_and_starts_nothing(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    echo(fake_llm)
    wf = await workflow(ws, definition=CHAIN)
    run_id = await start(ws, wf)
    with pytest.raises(Conflict, match="has not finished yet"):
        await rerun(ws, run_id, "b")
    await run_to_end(ws, run_id)

    # The workflow gains a step after the run: the run's own definition is what re-runs.
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        newer = {"steps": [*CHAIN["steps"], {"key": "d", "prompt": "D"}]}
        await store.save_workflow(s, ws.ctx, wf, name="Chain", description="", definition=newer)
    with pytest.raises(NotFound, match="not in this run"):
        await rerun(ws, run_id, "d")
    with pytest.raises(ServiceError, match="The re-run did not start"):
        await rerun(ws, run_id, "b", model="anthropic/no-such-model")
    with pytest.raises(ServiceError, match="The prompt cannot be empty"):
        await rerun(ws, run_id, "b", prompt="   ")
    stranger = await tenants.create()
    async with transaction(stranger.ctx.tenant_id, stranger.ctx.user_id) as s:
        with pytest.raises(NotFound):
            await reruns.rerun_from_step(s, stranger.ctx, run_id, "b", prompt="x")
        with pytest.raises(NotFound):
            await compare.compare_runs(s, stranger.ctx, run_id, run_id)
    assert (await load_run(ws, run_id)).status == RunStatus.SUCCEEDED
    assert fake_llm.calls() == 4  # nothing more was asked
