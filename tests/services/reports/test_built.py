"""The reports built from rows: what a reader of a project overview and of a run report expects to
find in them, and the raw record behind a run report."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.integrations import markdown
from nyx_app.models.note_image import NoteImage
from nyx_app.models.report import PdfStatus, ReportKind
from nyx_app.models.run import NO_ITEM
from nyx_app.services import notes
from nyx_app.services.errors import Conflict, NotFound
from nyx_app.services.reports import built, store
from nyx_app.services.reports.overview import workflow_diagram
from nyx_app.services.workflows.definition import WorkflowDefinition
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, fault, respond
from tests.runs_helpers import MODEL, run_to_end, start, step_rows, steps, workflow, workspace
from tests.services.reports.helpers import act, flagship_run, remember, report_row

pytestmark = pytest.mark.usefixtures("local_storage")


async def test_the_overview_shows_notes_with_thumbnails_memory_runs_with_cost_and_workflow_diagrams(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=2, images=2)
    await remember(ws, "Sessions live in rows", "Hashed tokens, revocable at once.")
    await flagship_run(ws, fake_llm)
    async with transaction(ws.ctx.tenant_id) as s:
        images = list(await s.exec(select(NoteImage)))

    report = await act(ws, lambda s, c: built.make_overview(s, c, ws.project_id))

    assert report.kind == ReportKind.OVERVIEW and report.title == "Project overview: Onboarding"
    md = report.markdown
    assert md.startswith("# Project overview: Onboarding")
    assert "### Note 1" in md and "The login page needs work (1)." in md and "### Note 2" in md
    for image in images:  # thumbnails through the authenticated image route
        assert f"/api/images/{image.id}/thumb" in md
    assert "### Sessions live in rows" in md and "Hashed tokens, revocable at once." in md
    assert "## Recent runs" in md and "Image to implementation" in md and "succeeded" in md
    assert "Total cost of these runs: $" in md
    assert "```mermaid\nflowchart LR" in md
    assert 's_enrich["Enrich notes and screenshots"]' in md and "s_action_points -. each item .-> s_plan" in md
    assert report.pdf_status == PdfStatus.PENDING  # its job is queued
    assert f'src="/api/images/{images[0].id}/thumb"' in report.html  # rendered once, safe


async def test_user_text_keeps_its_place_in_the_overview(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    hostile = "# Admin | [click](javascript:alert(1)) <script>x</script>"
    await act(ws, lambda s, c: notes.create_note(s, c, ws.project_id, hostile, "# Inside\n\n```\n# not a heading\n```"))

    report = await act(ws, lambda s, c: built.make_overview(s, c, ws.project_id))

    html = report.html
    assert "<script" not in html and "<a " not in html  # shown as text: no element, no link
    assert "<h3" in html and "Admin | [click]" in html  # the title shows as written, as a heading
    assert re.search(r"<h4[^>]*>Inside</h4>", html)  # the note's own heading sits below its title
    assert "# not a heading" in html  # code stays code


def test_a_workflow_diagram_draws_any_step_name_as_itself() -> None:
    definition = WorkflowDefinition.model_validate(
        {
            "steps": [
                {"key": "end", "name": 'He said "go" `now` <b>#1</b>', "prompt": "x"},
                {"key": "check", "kind": "review", "depends_on": ["end"]},
            ]
        }
    )
    diagram = workflow_diagram(definition)
    body = diagram.split("\n", 1)[1].rsplit("\n", 1)[0]
    assert '"' not in body.replace('["', "").replace('"]', "").replace('{"', "").replace('"}', "")
    assert "`" not in body and "<" not in body
    assert 's_end["He said #quot;go#quot; #96;now#96; #lt;b#gt;#35;1#lt;/b#gt;"]' in body
    assert 's_check{"Check"}' in body and "s_end --> s_check" in body


async def test_the_run_report_shows_every_step_its_attempts_and_the_traceability_chain(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=2, images=1)
    run_id = await flagship_run(ws, fake_llm, points=3)
    rows = await step_rows(ws, run_id)
    async with transaction(ws.ctx.tenant_id) as s:
        [image] = list(await s.exec(select(NoteImage)))

    report = await act(ws, lambda s, c: built.make_run_report(s, c, run_id, ws.project_id))

    md = report.markdown
    assert report.kind == ReportKind.RUN and report.source_run_id == run_id
    assert md.startswith("# Run report: Image to implementation")
    for name in ("Enrich notes and screenshots", "Action points", "Implementation plan", "Synthesis"):
        assert name in md
    assert f"anthropic/{MODEL}" in md and "LLM attempts" in md and "Tokens in / out" in md
    assert "## Coverage" in md and "**3 of 3** action points have their implementation plan (complete)." in md
    # plan → action point → note → image → every LLM attempt
    assert "## Traceability: Implementation plan → Action points → note → image → LLM attempts" in md
    chain = md.split("### Implementation plan 2: Action 2", 1)[1].split("### ", 1)[0]
    assert "**From action points, item 2:** Action 2 — Do thing 2 the notes ask for." in chain
    assert "N1 “Note 1”" in chain
    assert f"N1.1 of “Note 1” ![N1.1](/api/images/{image.id}/thumb)" in chain
    assert f"| 1 | anthropic/{MODEL} | ok |" in chain
    # the outputs
    assert rows[("synthesis", NO_ITEM)].output in md
    assert "Plan 2: Action 2" in md
    assert '"title": "Action 1"' in md  # the action points, as JSON


async def test_the_run_report_record_holds_every_step_and_llm_call(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await flagship_run(ws, fake_llm, points=2)

    report = await act(ws, lambda s, c: built.make_run_report(s, c, run_id))

    record = json.loads(json.dumps(report.data))  # plain JSON all the way down
    assert record["format"] == "nyx-run-record/1"
    assert record["run"]["id"] == str(run_id) and record["run"]["status"] == "succeeded"
    keys = [(s["key"], s["item_index"]) for s in record["steps"]]
    assert ("plan", 0) in keys and ("plan", 1) in keys and ("enrich", NO_ITEM) in keys
    assert all(s["prompt"] and s["output"] for s in record["steps"] if s["item_index"] != NO_ITEM or s["key"] != "plan")
    calls = {c["call_id"] for c in record["llm_calls"]}
    assert calls == {str(c) for s in record["steps"] for c in s["call_ids"]}


async def test_a_failed_attempt_shows_in_words_in_the_run_report(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    fake_llm.script(MODEL, fault("overloaded"), fault("overloaded"), then=respond(lambda p: "fine"))
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "Say something"})))
    await run_to_end(ws, run_id)

    report = await act(ws, lambda s, c: built.make_run_report(s, c, run_id))

    assert "overloaded" in report.markdown and "| failed |" in report.markdown


async def test_only_a_finished_run_of_this_project_has_a_report(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    other = await tenants.create()
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "x"})))
    with pytest.raises(Conflict, match="still going"):
        await act(ws, lambda s, c: built.make_run_report(s, c, run_id))
    async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
        with pytest.raises(NotFound):
            await built.make_run_report(s, other.ctx, run_id)


async def test_reports_list_rename_and_delete(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    member = await tenants.join(ws.account)
    report = await act(ws, lambda s, c: built.make_overview(s, c, ws.project_id))

    [summary] = await act(ws, lambda s, c: store.list_reports(s, c, ws.project_id))
    assert summary.title == "Project overview: Onboarding" and summary.author.startswith("User ")
    assert summary.size_bytes == len(report.markdown.encode()) and summary.may_delete

    renamed = await act(ws, lambda s, c: store.rename_report(s, c, report.id, "  Q3 overview  "))
    assert renamed.title == "Q3 overview" and renamed.revision == 2 and renamed.pdf_status == PdfStatus.PENDING
    assert (await report_row(ws, report.id)).markdown == report.markdown  # the snapshot stays

    async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
        [seen] = await store.list_reports(s, member.ctx, ws.project_id)
        assert not seen.may_delete
    await act(ws, lambda s, c: store.delete_report(s, c, report.id))
    assert await act(ws, lambda s, c: store.list_reports(s, c, ws.project_id)) == []


async def test_the_stored_html_is_the_one_renderers_output(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report = await act(ws, lambda s, c: built.make_overview(s, c, ws.project_id))
    assert report.html == markdown.render(report.markdown)
