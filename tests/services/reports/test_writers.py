"""Reports a model writes, through the run engine against the fake LLM: the executive summary and
the dev-log post (its JSON validated, a bad answer retried on the next model), saved once by the
finisher, and the guards around starting them."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.report import Report, ReportKind
from nyx_app.models.run import NO_ITEM, RunKind, RunStatus
from nyx_app.services.engine import finishers
from nyx_app.services.errors import Conflict, InvalidInput
from nyx_app.services.llm import preferences
from nyx_app.services.reports import devlog, writers
from tests.factories import TenantFactory
from tests.fakes.fixtures import connect_providers
from tests.fakes.llm_server import FakeLLM, answer, respond
from tests.runs_helpers import MODEL, run_to_end, step_rows, workspace
from tests.services.reports.helpers import act, flagship_run, remember

pytestmark = pytest.mark.usefixtures("local_storage")

POST = {
    "title": "Reports that travel: PDFs, QR codes and a public dev-log",
    "summary": "We made reports first-class: stored, rendered to PDF and shareable.",
    "tags": ["reports", "pdf", "mermaid"],
    "sections": {
        "done": "- Report model with RLS\n- PDF export with Mermaid drawn\n\n# A heading the model added",
        "lessons": "Render PDFs in a job, never in a request.",
        "next": "A persona picker for every selector.",
    },
    "thingsDone": ["Report persistence", "PDF export"],
    "pains": ["Chromium fonts were missing"],
    "successes": ["Diagrams drawn, not printed as code"],
    "techStack": ["Python", "PostgreSQL", "Playwright"],
}

SUMMARY = "# Executive summary: Onboarding\n\n## Where the project stands\n\nThe login page is being rebuilt."


def writer(summary: str = SUMMARY, post: str = json.dumps(POST)):  # type: ignore[no-untyped-def]
    def answer_for(prompt: str) -> str:
        if prompt.startswith("Write an executive summary"):
            return summary
        if prompt.startswith("Write a dev-log post"):
            return post
        return "An answer."

    return answer_for


def today() -> str:
    return date.today().isoformat()


async def reports_of(ws) -> list[Report]:  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id) as s:
        return list(await s.exec(select(Report).where(Report.project_id == ws.project_id)))


async def test_an_executive_summary_is_a_run_whose_answer_becomes_a_report(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    await remember(ws, "Sessions live in rows", "Hashed tokens.")
    await flagship_run(ws, fake_llm, points=2)
    fake_llm.script(MODEL, then=respond(writer()))

    run = await act(ws, lambda s, c: writers.start_summary(s, c, ws.project_id))
    assert run.kind == RunKind.REPORT_SUMMARY and run.status == RunStatus.PENDING
    done = await run_to_end(ws, run.id)

    assert done.status == RunStatus.SUCCEEDED
    prompt_seen = fake_llm.prompts(MODEL)[-1]
    assert "The login page needs work (1)." in prompt_seen  # notes
    assert "Sessions live in rows" in prompt_seen  # memory
    assert "Run “Image to implementation”: succeeded" in prompt_seen  # runs, with their cost
    [report] = await reports_of(ws)
    assert report.kind == ReportKind.SUMMARY and report.writer_run_id == run.id
    assert report.title == "Executive summary: Onboarding"
    assert report.markdown.startswith(SUMMARY) and "<h2" in report.html


async def test_the_finisher_saves_one_report_however_often_it_runs(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    fake_llm.script(MODEL, then=respond(writer()))
    run = await act(ws, lambda s, c: writers.start_summary(s, c, ws.project_id))
    await run_to_end(ws, run.id)

    await finishers.finish(ws.ctx.tenant_id, run.id)
    await act(ws, lambda s, c: writers.save_by_hand(s, c, run.id))

    assert len(await reports_of(ws)) == 1
    assert await act(ws, lambda s, c: writers.writing_runs(s, c, ws.project_id)) == []


async def test_a_dev_log_post_has_the_seeds_shape_and_a_json_block_that_parses(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    await flagship_run(ws, fake_llm, points=2)
    fake_llm.script(MODEL, then=respond(writer()))

    run = await act(ws, lambda s, c: writers.start_devlog(s, c, ws.project_id, today(), today()))
    assert (await run_to_end(ws, run.id)).status == RunStatus.SUCCEEDED

    prompt = fake_llm.prompts(MODEL)[-1]
    assert '"thingsDone"' in prompt and "Run “Image to implementation”" in prompt and "Note 1" in prompt
    [report] = await reports_of(ws)
    assert report.kind == ReportKind.DEVLOG and report.title == POST["title"]
    md = report.markdown
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == [
        "# Reports that travel: PDFs, QR codes and a public dev-log",
        "## What was done",
        "### A heading the model added",
        "## Lessons learned",
        "## What's next",
        "## The session in brief",
    ]
    assert md.index("*We made reports first-class") < md.index("**Tags:** `reports` `pdf` `mermaid`")
    # Readers get a short list, not a JSON block; the structured post stays in the record.
    in_brief = md.split("## The session in brief", 1)[1]
    assert "```" not in in_brief and "- **Done:** Report persistence · PDF export" in in_brief
    assert report.data["post"]["thingsDone"] == POST["thingsDone"]
    assert report.data["post"]["summary"] == POST["summary"] and report.data["since"] == today()


async def test_a_post_that_does_not_fit_the_shape_is_retried_on_the_next_model(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    await connect_providers(ws.ctx, fake_llm, "openai")
    await act(ws, lambda s, c: preferences.set_fallback_order(s, c, ["openai/gpt-4.1-mini"]))
    await remember(ws, "A lesson", "Learned today.")
    broken = {k: v for k, v in POST.items() if k != "techStack"}
    fake_llm.script(MODEL, answer(json.dumps(broken)))
    fake_llm.script("gpt-4.1-mini", answer(f"```json\n{json.dumps(POST)}\n```"))

    run = await act(ws, lambda s, c: writers.start_devlog(s, c, ws.project_id, today(), today()))
    done = await run_to_end(ws, run.id)

    assert done.status == RunStatus.SUCCEEDED
    row = (await step_rows(ws, run.id))[(writers.POST_KEY, NO_ITEM)]
    assert [(a["provider"], a["status"], a["error_kind"]) for a in row.attempts] == [
        ("anthropic", "failed", "invalid_answer"),
        ("openai", "ok", ""),
    ]
    assert "'techStack' is a required property" in row.attempts[0]["error_message"]
    [report] = await reports_of(ws)
    assert report.data["post"]["techStack"] == POST["techStack"]


async def test_a_post_no_model_can_write_fails_the_run_and_saves_nothing(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    await remember(ws, "A lesson", "Learned today.")
    fake_llm.script(MODEL, then=answer("Here is your post! It was a great week."))

    run = await act(ws, lambda s, c: writers.start_devlog(s, c, ws.project_id, today(), today()))
    done = await run_to_end(ws, run.id)

    assert done.status == RunStatus.FAILED and "not valid JSON" in done.error
    assert await reports_of(ws) == []
    [shown] = await act(ws, lambda s, c: writers.writing_runs(s, c, ws.project_id))
    assert shown.status == RunStatus.FAILED and shown.kind == ReportKind.DEVLOG


def test_the_schema_the_engine_checks_agrees_with_the_model() -> None:
    from jsonschema import Draft202012Validator

    checker = Draft202012Validator(devlog.SCHEMA)
    assert not list(checker.iter_errors(POST))
    assert list(checker.iter_errors({**POST, "tags": []}))
    assert list(checker.iter_errors({**POST, "pains": [""]}))
    assert list(checker.iter_errors({**POST, "sections": {"done": "x", "lessons": "y"}}))
    devlog.DevlogPost.model_validate(POST)


async def test_a_period_with_nothing_in_it_is_refused_in_words(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    long_ago = (date.today() - timedelta(days=400)).isoformat()
    with pytest.raises(InvalidInput, match="Nothing happened in this project"):
        await act(ws, lambda s, c: writers.start_devlog(s, c, ws.project_id, today(), today()))
    with pytest.raises(InvalidInput, match="at most 366 days"):
        await act(ws, lambda s, c: writers.start_devlog(s, c, ws.project_id, long_ago, today()))
    with pytest.raises(InvalidInput, match="starts after it ends"):
        await act(ws, lambda s, c: writers.start_devlog(s, c, ws.project_id, today(), long_ago))
    with pytest.raises(InvalidInput, match="two dates"):
        await act(ws, lambda s, c: writers.start_devlog(s, c, ws.project_id, "yesterday", today()))


async def test_one_summary_is_written_at_a_time_per_project(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    first = await act(ws, lambda s, c: writers.start_summary(s, c, ws.project_id))
    with pytest.raises(Conflict, match="already being written"):
        await act(ws, lambda s, c: writers.start_summary(s, c, ws.project_id))
    [going] = await act(ws, lambda s, c: writers.writing_runs(s, c, ws.project_id))
    assert going.run_id == str(first.id) and going.status == RunStatus.PENDING
