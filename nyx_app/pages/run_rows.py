"""What the run page and the run history put in state: small rows of display strings, built from
the services' view objects by pure functions (tested without a browser or a database).

State is what the browser receives on every change, so it holds previews, never full outputs
(unless the user asked for one), and a fan-out group's items only while the group is open.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from nyx_app import routes
from nyx_app.api.images import image_url
from nyx_app.models.run import DISCUSSION_KINDS, REPORT_KINDS, PauseMode, RunKind, RunStatus, StepStatus
from nyx_app.pages.runs.outputs import download_url, html, json_rows

# One way to say a time or a price, on pages and in reports alike.
from nyx_app.services.reports.text import duration, money
from nyx_app.services.runs.progress import progress
from nyx_app.services.runs.views import Coverage, ItemView, RunSummary, RunView, StepView
from nyx_app.services.workflows.definition import OutputFormat

# A fan-out group with more items than this starts collapsed.
OPEN_GROUP_MAX_ITEMS = 20

RUN_LABELS = {
    RunStatus.PENDING: "queued",
    RunStatus.RUNNING: "running",
    RunStatus.WAITING: "waiting for review",
    RunStatus.PAUSED: "paused",
    RunStatus.SUCCEEDED: "succeeded",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "cancelled",
}
STEP_LABELS = {
    StepStatus.QUEUED: "queued",
    StepStatus.RUNNING: "running",
    StepStatus.WAITING_REVIEW: "waiting for review",
    StepStatus.SUCCEEDED: "done",
    StepStatus.FAILED: "failed",
    StepStatus.SKIPPED: "skipped",
    StepStatus.CANCELLED: "cancelled",
}
COLORS = {
    "pending": "gray",
    "queued": "gray",
    "running": "blue",
    "waiting": "amber",
    "waiting_review": "amber",
    "paused": "iris",
    "succeeded": "green",
    "failed": "red",
    "skipped": "gray",
    "cancelled": "orange",
}


def tokens(count: int) -> str:
    return f"{count:,}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _run_label(status: str) -> str:
    return RUN_LABELS.get(RunStatus(status), status) if status in RunStatus._value2member_map_ else status


def _step_label(status: str) -> str:
    return STEP_LABELS.get(StepStatus(status), status) if status in StepStatus._value2member_map_ else status


@dataclasses.dataclass
class RetrievedRow:
    """A passage the run's prompts took from the workspace, as the page lists it."""

    source: str  # "Workflow insight", "Policy passage" …
    ref: str
    title: str
    why: str
    href: str


SOURCE_LABELS = {
    "memory": "Memory entry",
    "insights": "Workflow insight",
    "policies": "Policy passage",
    "code_patterns": "Code pattern",
    "patterns": "Consolidation pattern",
}
WHY_WORDS = {"both": "words and meaning", "words": "words", "meaning": "meaning"}


def retrieved_rows(view: RunView) -> list[RetrievedRow]:
    return [
        RetrievedRow(
            SOURCE_LABELS.get(r.source, r.source), r.ref, r.title or "(untitled)", WHY_WORDS.get(r.why, r.why),
            routes.knowledge_url(r.kind, r.item_id, r.parent_id, r.project_id or view.project_id),
        )
        for r in view.retrieved
    ]  # fmt: skip


@dataclasses.dataclass
class Header:
    title: str = ""
    status: str = ""
    status_label: str = ""
    status_color: str = "gray"
    started_by: str = ""
    created: str = ""
    duration: str = ""
    tokens_in: str = ""
    tokens_out: str = ""
    cost: str = ""
    done: int = 0
    total: int = 0
    percent: int = 0
    progress: str = ""  # "Step 3 of 5 · Implementation plan 9/13"
    rest: str = ""  # "about 2 min left" (from the steps done so far), while it runs
    ticking: str = ""  # seconds so far while active: the page's ticker counts on from it
    error: str = ""
    stopping: bool = False
    active: bool = False
    resumable: bool = False
    failed: bool = False
    project_url: str = ""  # the project's Runs tab
    project_home: str = ""  # the project page itself
    project_name: str = ""
    workflow_url: str = ""
    waiting: str = ""  # "" while a worker runs it
    # What the prompts retrieved ({{insights}} …); "retrieval" says whether they asked at all.
    retrieved: list[RetrievedRow] = dataclasses.field(default_factory=list)
    retrieval: bool = False
    kind: str = ""
    can_pause: bool = False
    pausing: str = ""  # "Pausing: …" until the run's worker has paused it
    paused: str = ""  # "Paused by Ann at 2026-12-07 21:40 UTC."
    rerun_of_url: str = ""  # the run this one re-ran, and from which step
    rerun_note: str = ""
    compare_url: str = ""  # this run beside the one it re-ran
    comparing: bool = False  # a comparison of models: its answers side by side
    winner: str = ""  # "Winner: anthropic/…" once picked


@dataclasses.dataclass
class SourceRow:
    ref: str
    title: str
    href: str
    is_image: bool


@dataclasses.dataclass
class AttemptRow:
    model: str
    status: str
    problem: str
    message: str


@dataclasses.dataclass
class ItemRow:
    row_id: str
    number: int
    label: str
    status: str
    status_label: str
    status_color: str
    duration: str
    tokens: str
    cost: str
    error: str
    html: str  # the answer so far (or in full, when asked), rendered by the one Markdown renderer
    truncated: bool
    showing_full: bool
    sources: list[SourceRow]


@dataclasses.dataclass
class StepRow:
    key: str
    name: str
    kind: str
    status: str
    status_label: str
    status_color: str
    row_id: str
    model: str
    duration: str
    tokens: str
    cost: str
    error: str
    attempts: list[AttemptRow]
    html: str  # the answer so far (or in full, when asked), rendered by the one Markdown renderer
    truncated: bool
    showing_full: bool
    context_note: str
    review_note: str
    can_retry: bool
    waiting_review: bool
    fan_out: bool
    progress: str = ""
    percent: int = 0
    items_failed: int = 0
    items_running: int = 0
    items_total: int = 0
    expanded: bool = False
    item_rows: list[ItemRow] = dataclasses.field(default_factory=list)
    more_items: int = 0  # items the group has beyond those shown
    ticking: str = ""  # seconds so far while it runs: the page's ticker counts on from it
    # A finished JSON answer laid out as a table or list (``html`` then holds the raw JSON).
    readable_html: str = ""
    download: str = ""  # the answer as a Markdown file (once there is one)
    run_id: str = ""  # for its items' downloads, made in the page (no URL per item in each update)
    can_rerun: bool = False  # the run has finished: this step can run again with changes
    reused: bool = False  # a re-run's copy of the earlier run's answer (not asked for again)
    can_pick: bool = False  # a comparison's answer that may be picked as the winner
    can_compare: bool = False  # the run has finished: this step's models can be compared


@dataclasses.dataclass
class CoverageRow:
    step: str
    text: str
    complete: bool
    missing: str


@dataclasses.dataclass
class HistoryRow:
    id: str
    title: str
    status: str
    status_label: str
    status_color: str
    started_by: str
    created: str
    duration: str
    cost: str
    url: str
    kind_label: str = "workflow run"
    # The discussion a discussion run answers in, or the report a report run wrote ("" if none).
    result_url: str = ""
    result_label: str = ""


def kind_label(kind: str) -> str:
    """What the Runs tab calls a run of this kind."""
    if kind in DISCUSSION_KINDS:
        return "discussion"
    if kind in REPORT_KINDS:
        return "report"
    if kind == RunKind.MODEL_COMPARE:
        return "model comparison"
    return "workflow run" if kind == RunKind.WORKFLOW else kind.replace("_", " ")


def _ticking(seconds: float | None, running: bool) -> str:
    return f"{seconds:.1f}" if running and seconds is not None else ""


def rest_label(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute left" if seconds >= 5 else "almost done"
    return f"about {round(seconds / 60)} min left"


def header(view: RunView) -> Header:
    status = RunStatus(view.status) if view.status in RunStatus._value2member_map_ else None
    active = status is not None and not status.finished
    shown = progress(view)
    return Header(
        title=view.title,
        status=view.status,
        status_label=_run_label(view.status),
        status_color=COLORS.get(view.status, "gray"),
        started_by=view.started_by,
        created=when(view.created_at),
        duration=duration(view.duration_s),
        tokens_in=tokens(view.tokens_in),
        tokens_out=tokens(view.tokens_out),
        cost=money(view.cost_usd) + (" + unknown" if _unpriced(view) else ""),
        done=view.done,
        total=view.total,
        percent=shown.percent,
        progress=shown.label,
        rest=rest_label(shown.rest_s),
        ticking=_ticking(view.duration_s, status == RunStatus.RUNNING),
        error=view.error,
        stopping=view.cancel_requested and active,
        active=active,
        resumable=status in (RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.PAUSED),
        failed=status == RunStatus.FAILED,
        project_url=routes.project_url(view.project_id, tab="runs"),
        project_home=routes.project_url(view.project_id),
        project_name=view.project_name,
        workflow_url=routes.workflow_url(view.project_id, view.workflow_id) if view.workflow_id else "",
        waiting=waiting(view.waiting_since),
        retrieved=retrieved_rows(view),
        retrieval=view.retrieval_used,
        kind=view.kind,
        can_pause=status in (RunStatus.PENDING, RunStatus.RUNNING)
        and not view.pause_requested
        and not view.cancel_requested,
        pausing=_pausing(view.pause_requested) if status == RunStatus.RUNNING else "",
        paused=f"Paused by {view.paused_by} at {when(view.paused_at)}." if status == RunStatus.PAUSED else "",
        rerun_of_url=routes.run_url(view.project_id, view.rerun_of) if view.rerun_of else "",
        rerun_note=f"Re-run of an earlier run from step “{view.rerun_from}”" if view.rerun_of else "",
        comparing=view.kind == RunKind.MODEL_COMPARE.value,
        winner=f"Winner: {view.compare_winner}" if view.compare_winner else "",
        compare_url=routes.run_compare_url(view.project_id, view.rerun_of, view.id) if view.rerun_of else "",
    )


def _pausing(requested: str) -> str:
    if requested == PauseMode.NOW.value:
        return "Pausing: the calls in progress are being stopped."
    if requested == PauseMode.FINISH.value:
        return "Pausing: the steps in progress finish first; nothing new starts."
    return ""


def paid(cost: Decimal, tokens: int) -> str:
    """A step's cost; tokens that cost nothing were answered by a model of unknown price."""
    return "price unknown" if tokens and not cost else money(cost)


def _unpriced(view: RunView) -> bool:
    return any(s.tokens and not s.cost_usd for s in view.steps) or any(
        i.tokens and not i.cost_usd for s in view.steps for i in s.items
    )


def waiting(since: datetime | None) -> str:
    if since is None:
        return ""
    return (
        f"Waiting for a worker since {since:%Y-%m-%d %H:%M:%S} UTC: no worker is running this run now. "
        "It goes on by itself, from where it stopped, as soon as one is."
    )


def _sources(item: ItemView, project_id: str) -> list[SourceRow]:
    return [
        SourceRow(
            s.ref,
            s.title,
            image_url(s.id) if s.kind == "image" else routes.note_url(project_id, s.note_id),
            s.kind == "image",
        )
        for s in item.sources
    ]


def _item(item: ItemView, project_id: str, run_id: str, fulls: Mapping[str, str]) -> ItemRow:
    return ItemRow(
        row_id=item.row_id,
        number=item.index + 1,
        label=item.label,
        status=item.status,
        status_label=_step_label(item.status),
        status_color=COLORS.get(item.status, "gray"),
        duration=duration(item.duration_s),
        tokens=tokens(item.tokens),
        cost=paid(item.cost_usd, item.tokens),
        error=item.error,
        html=html(fulls.get(item.row_id) or item.preview),
        truncated=item.output_chars > len(item.preview),
        showing_full=item.row_id in fulls,
        sources=_sources(item, project_id),
    )


def _ref(provider: str, model: str) -> str:
    """ "provider/model", whether the model was recorded with its provider or without."""
    if not provider or not model or model.startswith(f"{provider}/"):
        return model
    return f"{provider}/{model}"


def is_expanded(step: StepView, chosen: Mapping[str, bool]) -> bool:
    """Open if the user opened it, else if the group is small."""
    return chosen.get(step.key, step.items_total <= OPEN_GROUP_MAX_ITEMS)


def step_row(
    step: StepView, view: RunView, chosen: Mapping[str, bool], fulls: Mapping[str, str], items_shown: int
) -> StepRow:
    row = StepRow(
        key=step.key,
        name=step.name,
        kind=step.kind,
        status=step.status,
        status_label=_step_label(step.status),
        status_color=COLORS.get(step.status, "gray"),
        row_id=step.row_id,
        model=_ref(step.provider, step.model),
        duration=duration(step.duration_s),
        tokens=tokens(step.tokens),
        cost=paid(step.cost_usd, step.tokens),
        error=step.error,
        # Every failed attempt, in words (the one that answered shows as the step's model).
        attempts=[
            AttemptRow(_ref(a.provider, a.model), a.status, a.problem or a.status, a.message)
            for a in step.attempts
            if a.status != "ok"
        ],
        html=html(fulls.get(step.row_id) or step.preview),
        truncated=step.output_chars > len(step.preview),
        showing_full=step.row_id in fulls,
        context_note=step.context_note,
        review_note=step.review_note,
        can_retry=step.status == StepStatus.FAILED.value and view.status == RunStatus.FAILED.value,
        waiting_review=step.status == StepStatus.WAITING_REVIEW.value and step.kind == "review",
        fan_out=step.fan_out,
        download=download_url(view.id, step.row_id, step.status, step.output_chars),
        run_id=view.id,
        ticking=_ticking(step.duration_s, step.status == StepStatus.RUNNING.value),
        can_rerun=step.kind == "llm"
        and view.kind == RunKind.WORKFLOW.value
        and view.status in (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value, RunStatus.CANCELLED.value),
        reused=step.reused,
        can_pick=view.kind == RunKind.MODEL_COMPARE.value
        and "__" in step.key
        and step.status == StepStatus.SUCCEEDED.value
        and RunStatus(view.status).finished,
        can_compare=step.kind == "llm"
        and not step.fan_out
        and view.kind == RunKind.WORKFLOW.value
        and view.status in (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value, RunStatus.CANCELLED.value),
    )
    if step.output_format != OutputFormat.TEXT.value and step.row_id not in fulls:
        readable, raw, cut = json_rows(step)
        if readable:
            row.readable_html, row.html, row.truncated = readable, raw, cut
    if step.fan_out:
        row.items_total, row.items_failed, row.items_running = step.items_total, step.items_failed, step.items_running
        row.progress = f"{step.items_done}/{step.items_total}" if step.items_total else ""
        row.percent = int(100 * step.items_done / step.items_total) if step.items_total else 0
        row.expanded = is_expanded(step, chosen)
        if row.expanded:
            row.item_rows = [_item(i, view.project_id, view.id, fulls) for i in step.items[:items_shown]]
            row.more_items = max(0, step.items_total - len(row.item_rows))
    return row


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def coverage_row(c: Coverage) -> CoverageRow:
    """ "13/13 action points have an implementation plan", naming the ones without."""
    result = c.step_name.lower()
    return CoverageRow(
        step=c.step,
        text=f"{c.covered}/{c.total} {c.source_name.lower()} have {_article(result)} {result}",
        complete=c.covered == c.total,
        missing=", ".join(c.missing),
    )


def rows(
    view: RunView, chosen: Mapping[str, bool], fulls: Mapping[str, str], items_shown: int
) -> tuple[Header, list[StepRow], list[CoverageRow]]:
    return (
        header(view),
        [step_row(s, view, chosen, fulls, items_shown) for s in view.steps],
        [coverage_row(c) for c in view.coverage],
    )


def history_row(summary: RunSummary, project_id: str) -> HistoryRow:
    return HistoryRow(
        id=summary.id,
        title=summary.title,
        status=summary.status,
        status_label=_run_label(summary.status),
        status_color=COLORS.get(summary.status, "gray"),
        started_by=summary.started_by,
        created=when(summary.created_at),
        duration=duration(summary.duration_s),
        cost=money(summary.cost_usd),
        url=routes.run_url(project_id, summary.id),
        kind_label=kind_label(summary.kind),
        result_url=_result_url(summary, project_id),
        result_label="Open the discussion" if summary.discussion_id else "Open the report" if summary.report_id else "",
    )


def _result_url(summary: RunSummary, project_id: str) -> str:
    if summary.discussion_id:
        return routes.discussion_url(project_id, summary.discussion_id)
    if summary.report_id:
        return routes.report_url(project_id, summary.report_id)
    return ""
