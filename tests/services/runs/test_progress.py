"""Progress in words that stay true while a run grows: counted in workflow steps, a fan-out's
items beside it, never "0/0", and an estimate of the rest from what is done."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from nyx_app.services.runs.progress import progress
from nyx_app.services.runs.views import RunView, StepView


def step(key: str, status: str, *, seconds: float | None = None, items: tuple[int, int] | None = None) -> StepView:
    view = StepView(
        key, key.title(), "llm", status, key, "", "", seconds, 0, Decimal(0), "", [], "", 0, "", "", items is not None
    )
    if items is not None:
        view.items_done, view.items_total = items
    return view


def run(status: str, *steps: StepView) -> RunView:
    now = datetime.now(UTC)
    return RunView(
        "r", "p", "w", "Run", status, "", "Ada", now, now, None, None, 0, 0, Decimal(0), 1, False, 0, 0, list(steps), []
    )


def test_the_count_stays_in_steps_while_the_fan_out_grows() -> None:
    rest = (step("synthesis", "queued"), step("final", "queued"))
    before = run("running", step("enrich", "succeeded", seconds=4), step("points", "running", seconds=2),
                 step("plan", "queued", items=(0, 0)), *rest)  # fmt: skip
    assert progress(before).label == "Step 2 of 5 · Points"
    grown = run("running", step("enrich", "succeeded", seconds=4), step("points", "succeeded", seconds=6),
                step("plan", "running", seconds=3, items=(9, 13)), *rest)  # fmt: skip
    shown = progress(grown)
    assert shown.label == "Step 3 of 5 · Plan 9/13"
    assert shown.percent == int(100 * (2 + 9 / 13) / 5)
    # Plans: 3 s for 9, so ~1.3 s for the other 4; then two steps at the 5 s mean of those done.
    assert shown.rest_s is not None and abs(shown.rest_s - (3 * 4 / 9 + 5 + 5)) < 0.01


def test_a_fan_out_waiting_for_its_list_never_reads_0_of_0() -> None:
    waiting = run("running", step("points", "succeeded", seconds=1), step("plan", "running", items=(0, 0)))
    assert progress(waiting).label == "Step 2 of 2 · Plan: preparing its items"


def test_queued_finished_and_stopped_runs() -> None:
    assert progress(run("pending", step("a", "queued"), step("b", "queued"))).label == "Queued · 2 steps"
    assert progress(run("succeeded", step("a", "succeeded", seconds=1))).label == "All 1 step done"
    failed = progress(run("failed", step("a", "succeeded", seconds=1), step("b", "failed")))
    assert (failed.label, failed.percent, failed.rest_s) == ("1 of 2 steps done", 50, None)


def test_no_estimate_before_a_step_has_finished() -> None:
    assert progress(run("running", step("a", "running", seconds=3), step("b", "queued"))).rest_s is None
