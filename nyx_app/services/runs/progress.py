"""How far a run is, in words that stay true while it runs: "Step 3 of 5 · Implementation plan 9/13".

Counted in the workflow's steps (a fan-out is one step however many items it grows), so the
count never jumps when a list expands; the items of a running fan-out are named beside it, and a
fan-out whose list is not ready says so instead of "0/0". The rest is estimated from what is done
so far: the finished steps' mean duration for the steps still to come, and a running fan-out's
own pace for its remaining items. Pure: the run page calls it on every read.
"""

from __future__ import annotations

from dataclasses import dataclass

from nyx_app.models.run import RunStatus, StepStatus
from nyx_app.services.runs.views import RunView, StepView

FINISHED_STEP = frozenset({StepStatus.SUCCEEDED.value, StepStatus.SKIPPED.value})
ACTIVE_STEP = frozenset({StepStatus.RUNNING.value, StepStatus.WAITING_REVIEW.value})


@dataclass(frozen=True, slots=True)
class Progress:
    label: str  # "Step 3 of 5 · Implementation plan 9/13"
    percent: int
    rest_s: float | None  # estimated seconds left; None: too early to say, or finished


def _fraction(step: StepView) -> float:
    if step.status in FINISHED_STEP:
        return 1.0
    if step.fan_out and step.items_total:
        return step.items_done / step.items_total
    return 0.0


def _rest(view: RunView) -> float | None:
    finished = [s.duration_s for s in view.steps if s.status == StepStatus.SUCCEEDED.value and s.duration_s]
    if not finished:
        return None
    mean = sum(finished) / len(finished)
    rest = 0.0
    for step in view.steps:
        if step.status in FINISHED_STEP:
            continue
        elapsed = step.duration_s or 0.0
        if step.status in ACTIVE_STEP and step.fan_out and step.items_done and step.items_total:
            rest += elapsed * (step.items_total - step.items_done) / step.items_done
        elif step.status in ACTIVE_STEP:
            rest += max(mean - elapsed, 0.0)
        else:
            rest += mean
    return rest


def progress(view: RunView) -> Progress:
    total = len(view.steps)
    done = sum(1 for s in view.steps if s.status in FINISHED_STEP)
    percent = int(100 * sum(_fraction(s) for s in view.steps) / total) if total else 0
    status = RunStatus(view.status) if view.status in RunStatus._value2member_map_ else None
    plural = "s" if total != 1 else ""
    if status == RunStatus.SUCCEEDED:
        return Progress(f"All {total} step{plural} done", 100, None)
    if status == RunStatus.PENDING:
        return Progress(f"Queued · {total} step{plural}", 0, None)
    if status is None or status.finished:
        return Progress(f"{done} of {total} step{plural} done", percent, None)
    current = next((s for s in view.steps if s.status in ACTIVE_STEP), None)
    label = f"Step {min(done + 1, total)} of {total}"
    if current is not None and current.fan_out:
        if current.items_total:
            label += f" · {current.name} {current.items_done}/{current.items_total}"
        else:
            label += f" · {current.name}: preparing its items"
    elif current is not None and status == RunStatus.RUNNING:
        label += f" · {current.name}"
    return Progress(label, percent, _rest(view) if status == RunStatus.RUNNING else None)
