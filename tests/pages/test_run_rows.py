"""The run page's rows from the services' views: labels, colours, numbers in words, sources as
links, coverage as a sentence, and items only for open groups."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from nyx_app.pages import run_rows
from nyx_app.services.runs.views import AttemptView, Coverage, ItemView, RunSummary, RunView, SourceLink, StepView

PROJECT = "11111111-1111-1111-1111-111111111111"


def step(key: str, status: str = "succeeded", **extra: object) -> StepView:
    values: dict[str, object] = {
        "key": key,
        "name": key.capitalize(),
        "kind": "llm",
        "status": status,
        "row_id": f"row-{key}",
        "provider": "anthropic",
        "model": "anthropic/claude-sonnet-4-6",
        "duration_s": 2.5,
        "tokens": 1234,
        "cost_usd": Decimal("0.0123"),
        "error": "",
        "attempts": [],
        "preview": "Hello",
        "output_chars": 5,
        "context_note": "",
        "review_note": "",
        "fan_out": False,
    }
    values.update(extra)
    return StepView(**values)  # type: ignore[arg-type]


def item(index: int, status: str = "succeeded") -> ItemView:
    sources = [
        SourceLink("N1", "note", "note-1", "note-1", "Login"),
        SourceLink("N1.2", "image", "image-2", "note-1", "Screenshot"),
    ]
    return ItemView(
        f"item-{index}", index, f"Action {index + 1}", status, 1.0, 10, Decimal("0.001"), "", "x" * 400, 900, sources
    )


def view(steps: list[StepView], status: str = "running", **extra: object) -> RunView:
    values: dict[str, object] = {
        "id": "run-1",
        "project_id": PROJECT,
        "workflow_id": "wf-1",
        "title": "Image to implementation",
        "status": status,
        "error": "",
        "started_by": "Ada",
        "created_at": datetime(2026, 5, 1, 14, 3, tzinfo=UTC),
        "started_at": None,
        "finished_at": None,
        "duration_s": 75.0,
        "tokens_in": 100,
        "tokens_out": 2000,
        "cost_usd": Decimal("1.5"),
        "revision": 3,
        "cancel_requested": False,
        "done": 9,
        "total": 17,
        "steps": steps,
        "coverage": [],
    }
    values.update(extra)
    return RunView(**values)  # type: ignore[arg-type]


def test_header_in_words_with_progress_and_what_the_user_may_do() -> None:
    steps = [step("a", duration_s=4.0), step("b", "running", duration_s=1.0), step("c", "queued", duration_s=None)]
    head = run_rows.header(view(steps))
    assert (head.status_label, head.status_color) == ("running", "blue")
    assert (head.created, head.duration, head.tokens_out, head.cost) == (
        "2026-05-01 14:03 UTC",
        "1 min 15 s",
        "2,000",
        "$1.50",
    )
    # Counted in workflow steps; the rest estimated from the one done (4 s each: 3 + 4 s).
    assert (head.progress, head.percent, head.rest) == ("Step 2 of 3 · B", 33, "less than a minute left")
    assert head.ticking == "75.0"  # the page's ticker counts on from here while it runs
    assert run_rows.rest_label(600) == "about 10 min left" and run_rows.rest_label(30) == "less than a minute left"
    assert head.active and not head.resumable and not head.stopping
    assert head.project_url == f"/projects/{PROJECT}?tab=runs"
    assert head.workflow_url == f"/projects/{PROJECT}/workflows/wf-1"

    failed = run_rows.header(view([], status="failed", error="Step 'Plan' failed"))
    assert failed.resumable and failed.failed and not failed.active and failed.status_color == "red"
    assert run_rows.header(view([], cancel_requested=True)).stopping
    assert run_rows.header(view([], status="pending", duration_s=None)).duration == "\u2013"


def test_a_run_says_who_paused_it_and_when_and_what_a_pause_waits_for() -> None:
    assert run_rows.header(view([])).can_pause
    asked = run_rows.header(view([], pause_requested="finish"))
    assert not asked.can_pause and asked.pausing.startswith("Pausing: the steps in progress finish first")
    now = run_rows.header(view([], pause_requested="now"))
    assert now.pausing == "Pausing: the calls in progress are being stopped."
    moment = datetime(2026, 5, 1, 14, 9, tzinfo=UTC)
    paused = run_rows.header(view([], status="paused", paused_by="Ada", paused_at=moment))
    assert (paused.status_label, paused.paused) == ("paused", "Paused by Ada at 2026-05-01 14:09 UTC.")
    assert paused.resumable and paused.active and not paused.can_pause and paused.pausing == ""
    assert not run_rows.header(view([], status="succeeded")).can_pause


def test_a_failed_step_lists_every_failed_attempt_and_can_be_retried_once_the_run_failed() -> None:
    attempts = [
        AttemptView("anthropic", "claude-sonnet-4-6", "failed", "out of credit", "credit balance is too low"),
        AttemptView("openai", "openai/gpt-4.1-mini", "ok", "", ""),
    ]
    failed = step("draft", "failed", attempts=attempts, error="No model could answer")
    row = run_rows.step_row(failed, view([failed], status="failed"), {}, {}, 50)
    assert (row.status_label, row.status_color, row.can_retry) == ("failed", "red", True)
    assert [(a.model, a.problem, a.message) for a in row.attempts] == [
        ("anthropic/claude-sonnet-4-6", "out of credit", "credit balance is too low")
    ]
    running = run_rows.step_row(failed, view([failed], status="running"), {}, {}, 50)
    assert not running.can_retry  # the run still goes on: nothing to retry yet


def test_labels_for_every_step_status() -> None:
    labels = {
        s: run_rows.step_row(step("a", s), view([]), {}, {}, 50).status_label
        for s in run_rows.COLORS
        if s not in ("pending", "waiting", "paused")  # run statuses only
    }
    assert labels == {
        "queued": "queued",
        "running": "running",
        "waiting_review": "waiting for review",
        "succeeded": "done",
        "failed": "failed",
        "skipped": "skipped",
        "cancelled": "cancelled",
    }


def test_small_groups_open_large_ones_closed_and_only_open_groups_carry_items() -> None:
    small = step(
        "plan",
        "running",
        fan_out=True,
        items_total=13,
        items_done=9,
        items_failed=1,
        items_running=3,
        items=[item(i) for i in range(13)],
    )
    row = run_rows.step_row(small, view([small]), {}, {}, 50)
    assert (row.progress, row.percent, row.items_failed, row.expanded) == ("9/13", 69, 1, True)
    assert len(row.item_rows) == 13 and row.more_items == 0
    first = row.item_rows[0]
    assert (first.number, first.label, first.truncated) == (1, "Action 1", True)
    assert [(s.ref, s.href, s.is_image) for s in first.sources] == [
        ("N1", f"/projects/{PROJECT}/notes/note-1", False),
        ("N1.2", "/api/images/image-2", True),
    ]
    closed = run_rows.step_row(small, view([small]), {"plan": False}, {}, 50)
    assert not closed.expanded and closed.item_rows == []

    large = step("plan", fan_out=True, items_total=200, items_done=200, items=[item(i) for i in range(50)])
    assert not run_rows.step_row(large, view([large]), {}, {}, 50).expanded
    opened = run_rows.step_row(large, view([large]), {"plan": True}, {}, 50)
    assert len(opened.item_rows) == 50 and opened.more_items == 150


def test_a_full_output_is_shown_only_for_the_rows_the_user_opened() -> None:
    long = step("final", preview="p" * 4000, output_chars=9000)
    row = run_rows.step_row(long, view([long]), {}, {"row-final": "f" * 9000}, 50)
    assert row.truncated and row.showing_full and "f" * 9000 in row.html
    folded = run_rows.step_row(long, view([long]), {}, {}, 50)
    assert not folded.showing_full and "f" not in folded.html and "p" * 4000 in folded.html


def test_coverage_reads_as_a_sentence_naming_what_is_missing() -> None:
    done = run_rows.coverage_row(Coverage("plan", "Implementation plan", "action_points", "Action points", 13, 13, []))
    assert (done.text, done.complete, done.missing) == ("13/13 action points have an implementation plan", True, "")
    partial = run_rows.coverage_row(Coverage("plan", "Plan", "points", "Points", 3, 1, ["Action 2", "Action 3"]))
    assert (partial.text, partial.complete, partial.missing) == ("1/3 points have a plan", False, "Action 2, Action 3")


def test_small_numbers_in_words() -> None:
    assert [run_rows.duration(s) for s in (None, 0.25, 59.9, 61, 3725)] == [
        "\u2013",
        "0.2 s",
        "59.9 s",
        "1 min 1 s",
        "1 h 2 min",
    ]
    assert [run_rows.money(v) for v in (None, Decimal(0), Decimal("0.00012"), Decimal("12.5"))] == [
        "\u2013",
        "$0.00",
        "$0.0001",
        "$12.50",
    ]


def test_the_history_names_each_runs_kind_and_links_to_what_it_made() -> None:
    def summary(kind: str, **links: str) -> RunSummary:
        started = datetime(2026, 5, 1, tzinfo=UTC)
        return RunSummary("r1", "A run", "succeeded", "Ann", started, 3.0, Decimal("0.01"), 10, kind=kind, **links)

    plain = run_rows.history_row(summary("workflow"), "p1")
    assert (plain.kind_label, plain.result_url, plain.url) == ("workflow run", "", "/projects/p1/runs/r1")
    talk = run_rows.history_row(summary("discussion_synthesis", discussion_id="d1"), "p1")
    assert (talk.kind_label, talk.result_url) == ("discussion", "/projects/p1/discussions/d1")
    assert talk.result_label == "Open the discussion"
    post = run_rows.history_row(summary("report_devlog", report_id="x1"), "p1")
    assert (post.kind_label, post.result_url) == ("report", "/projects/p1/reports/x1")
    assert post.result_label == "Open the report"
    unsaved = run_rows.history_row(summary("report_summary"), "p1")
    assert (unsaved.kind_label, unsaved.result_url) == ("report", "")
