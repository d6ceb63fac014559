"""Insights feed later runs: a finding approved in one run is retrieved into the next run's prompt
({{insights}}), cited by its ref, and recorded on the run for its page."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.services import insights
from nyx_app.services.engine.knowledge import HEADER
from nyx_app.services.runs import control, views
from nyx_app.services.workflows.builtin import ANALYSE_REVIEW, FLAGSHIP
from tests.factories import TenantFactory
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, load_run, run_to_end, start, steps, workflow, workspace
from tests.services.knowledge.helpers import embed_all, memory_entry

FINDING = (
    "Approved finding: the login page must lock an account after five failed passwords, "
    "and the lockout must be per device, not per account."
)


async def _approved_insight(ws, fake_llm: FakeLLM) -> None:  # type: ignore[no-untyped-def]
    run_id = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))
    await run_to_end(ws, run_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.approve_review(s, ws.ctx, run_id, "review", FINDING)


async def test_an_approved_insight_is_retrieved_into_a_later_run_and_listed_on_it(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(flagship()))
    await _approved_insight(ws, fake_llm)
    await embed_all(ws.account)

    later = await workflow(
        ws,
        definition=steps(
            {"key": "plan", "name": "Plan", "prompt": "Plan the login work.\n\nNotes:\n{{notes}}\n\n{{insights}}"}
        ),
    )
    fake_llm.reset()
    fake_llm.script(MODEL, then=respond(lambda prompt: "Plan citing [I1]."))
    run = await run_to_end(ws, await start(ws, later))
    assert run.status == "succeeded"
    prompt = fake_llm.prompts(MODEL)[-1]
    assert HEADER in prompt
    assert "[I1] Workflow insight:" in prompt
    assert "> Approved finding: the login page must lock an account" in prompt
    retrieved = run.inputs["retrieved"]["insights"]
    assert retrieved[0]["ref"] == "I1" and retrieved[0]["kind"] == "insight"
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        view = await views.run_view(s, ws.ctx, run.id)
    assert [(r.source, r.ref) for r in view.retrieved] == [("insights", "I1")]
    assert view.retrieved[0].title.startswith("Approved finding")


async def test_the_flagship_uses_insights_by_default_and_old_memory_workflows_keep_working(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    await memory_entry(ws.account, "Deploy on Fridays", "Never deploy on Fridays after 3 pm.", ws.project_id)
    fake_llm.script(MODEL, then=respond(flagship(points=1)))
    flagship_run = await run_to_end(ws, await start(ws, await workflow(ws, template=FLAGSHIP)))
    assert flagship_run.status == "succeeded"
    assert "insights" in flagship_run.inputs["retrieved"]  # asked, found none: said so in the prompt
    assert any("(nothing relevant found)" in p for p in fake_llm.prompts(MODEL))

    # A workflow written before retrieval existed: {{memory}} still prints the project's entries,
    # even when nothing is embedded yet (retrieval finds nothing by meaning).
    old = await workflow(ws, definition=steps({"key": "m", "name": "M", "prompt": "Memory:\n{{memory}}"}))
    fake_llm.reset()
    fake_llm.script(MODEL, then=respond(lambda prompt: "ok"))
    assert (await run_to_end(ws, await start(ws, old))).status == "succeeded"
    assert "Never deploy on Fridays after 3 pm." in fake_llm.prompts(MODEL)[-1]


async def test_the_run_keeps_the_passages_it_sent_when_an_insight_changes_later(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(flagship()))
    await _approved_insight(ws, fake_llm)
    await embed_all(ws.account)
    wf = await workflow(ws, definition=steps({"key": "p", "name": "P", "prompt": "Plan the login page.\n{{insights}}"}))
    run_id = await start(ws, wf)
    fake_llm.reset()
    fake_llm.script(MODEL, then=respond(lambda prompt: "ok"))
    await run_to_end(ws, run_id)
    first = (await load_run(ws, run_id)).inputs["retrieved"]
    # The insight is edited afterwards: the run's record (what it sent) stays as it was.
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        page = await insights.insights_page(s, ws.ctx, ws.project_id)
        await insights.update_insight(s, ws.ctx, page.insights[0].id, "Rewritten later.")
    assert (await load_run(ws, run_id)).inputs["retrieved"] == first
