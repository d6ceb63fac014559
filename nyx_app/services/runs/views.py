"""What the run page and the run history show, read in one transaction as small view objects.

A watching page re-reads this on every change of the run (several times a second while answers
stream), so it reads previews of outputs, not the outputs: a run with 200 fan-out items of
10 KB each stays a few dozen KB per read. Full outputs are read one at a time, on demand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.queue import workers
from nyx_app.integrations.llm import ErrorKind
from nyx_app.models.project import Project
from nyx_app.models.report import Report
from nyx_app.models.run import NO_ITEM, Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.models.tenancy import User
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.llm.errors import KIND_LABELS
from nyx_app.services.projects import get_project
from nyx_app.services.runs.control import get_run
from nyx_app.services.validation import parse_id
from nyx_app.services.workflows.definition import OutputFormat, StepKind, WorkflowDefinition
from nyx_app.settings import get_settings

STEP_PREVIEW_CHARS = 4_000
# A JSON answer (action points) is read whole up to this size, so the page can lay it out as a table.
JSON_READ_CHARS = 20_000
ITEM_PREVIEW_CHARS = 400
ITEMS_PAGE = 50
HISTORY_LIMIT = 100


@dataclass(frozen=True, slots=True)
class AttemptView:
    provider: str
    model: str
    status: str
    problem: str  # in words: "out of credit", "timed out", …
    message: str


@dataclass(frozen=True, slots=True)
class SourceLink:
    ref: str  # N1, N1.2
    kind: str  # note | image
    id: str
    note_id: str
    title: str


@dataclass(frozen=True, slots=True)
class ItemView:
    row_id: str
    index: int
    label: str
    status: str
    duration_s: float | None
    tokens: int
    cost_usd: Decimal
    error: str
    preview: str
    output_chars: int
    sources: list[SourceLink]


@dataclass
class StepView:
    key: str
    name: str
    kind: str
    status: str
    row_id: str
    provider: str
    model: str
    duration_s: float | None
    tokens: int
    cost_usd: Decimal
    error: str
    attempts: list[AttemptView]
    preview: str
    output_chars: int
    context_note: str
    review_note: str
    fan_out: bool
    reused: bool = False  # a re-run's copy of an earlier run's answer (services/runs/reruns.py)
    output_format: str = OutputFormat.TEXT.value  # json_list / json_object: ``preview`` is whole (see above)
    items_total: int = 0
    items_done: int = 0
    items_failed: int = 0
    items_running: int = 0
    items: list[ItemView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Coverage:
    step: str  # the fan-out step ("plan")
    step_name: str
    source: str  # the list it fans out over ("action_points")
    source_name: str
    total: int
    covered: int
    missing: list[str]


@dataclass(frozen=True, slots=True)
class RetrievedView:
    """A passage the run's prompts took from the workspace (engine/knowledge.py)."""

    source: str  # insights | memory | policies | code_patterns | patterns
    ref: str  # I1, P2 …
    kind: str
    item_id: str
    parent_id: str
    project_id: str
    title: str
    why: str  # words | meaning | both


def retrieved_views(retrieved: Any) -> list[RetrievedView]:
    if not isinstance(retrieved, dict):
        return []
    return [
        RetrievedView(
            str(name), str(p.get("ref", "")), str(p.get("kind", "")), str(p.get("item_id", "")),
            str(p.get("parent_id", "")), str(p.get("project_id", "")), str(p.get("title", "")), str(p.get("why", "")),
        )
        for name, passages in retrieved.items()
        if isinstance(passages, list)
        for p in passages
        if isinstance(p, dict)
    ]  # fmt: skip


@dataclass
class RunView:
    id: str
    project_id: str
    workflow_id: str
    title: str
    status: str
    error: str
    started_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    revision: int
    cancel_requested: bool
    done: int
    total: int
    steps: list[StepView]
    coverage: list[Coverage]
    review_text: str = ""  # the full output under review, for the reviewer to edit
    project_name: str = ""  # for the page's breadcrumbs
    # No worker runs this run now (its worker stopped beating, or none is alive to pick it up),
    # since this moment; None while one does (or the run is not active).
    waiting_since: datetime | None = None
    kind: str = RunKind.WORKFLOW.value
    # What its prompts retrieved ({{insights}} …), and whether it retrieved at all.
    retrieved: list[RetrievedView] = field(default_factory=list)
    retrieval_used: bool = False
    pause_requested: str = ""  # a PauseMode the run's worker has not acted on yet
    paused_by: str = ""  # while paused: who paused it, and when
    paused_at: datetime | None = None
    rerun_of: str = ""  # the run this one re-ran from step ``rerun_from`` ("" if none)
    rerun_from: str = ""
    compare_winner: str = ""  # a comparison of models: the model picked as the winner


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: str
    title: str
    status: str
    started_by: str
    created_at: datetime
    duration_s: float | None
    cost_usd: Decimal
    tokens: int
    kind: str = RunKind.WORKFLOW.value
    # Where the run's result lives, when it is not the run page itself: the discussion a
    # discussion run answers in, the report a report run wrote ("" when none).
    discussion_id: str = ""
    report_id: str = ""


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    if start is None:
        return None
    return max(0.0, ((end or utcnow()) - start).total_seconds())


def _attempts(raw: list[dict[str, Any]]) -> list[AttemptView]:
    views = []
    for a in raw or []:
        kind = a.get("error_kind") or ""
        problem = KIND_LABELS.get(ErrorKind(kind), kind) if kind in ErrorKind._value2member_map_ else kind
        views.append(
            AttemptView(
                a.get("provider", ""), a.get("model", ""), a.get("status", ""), problem, a.get("error_message", "")
            )
        )
    return views


def _sources(item: Any, known: dict[str, dict[str, str]]) -> list[SourceLink]:
    if not isinstance(item, dict):
        return []
    refs = [r for field_name in ("notes", "images") for r in (item.get(field_name) or []) if isinstance(r, str)]
    links = []
    for ref in dict.fromkeys(r.strip("[] ") for r in refs):
        source = known.get(ref)
        if source:
            links.append(
                SourceLink(ref, source["kind"], source["id"], source.get("note_id", source["id"]), source["title"])
            )
    return links


_COLUMNS = (
    StepRun.id,
    StepRun.key,
    StepRun.item_index,
    StepRun.label,
    StepRun.item,
    StepRun.status,
    StepRun.provider,
    StepRun.model,
    StepRun.error,
    StepRun.attempts,
    StepRun.context_note,
    StepRun.review_note,
    StepRun.reused_from,
    StepRun.tokens_in,
    StepRun.tokens_out,
    StepRun.cost_usd,
    StepRun.started_at,
    StepRun.finished_at,
)


async def run_view(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, *, items_limit: int = ITEMS_PAGE
) -> RunView:
    run = await get_run(session, ctx, run_id)
    starter = await session.get(User, run.started_by) if run.started_by else None
    project_name = (await session.exec(select(Project.name).where(Project.id == run.project_id))).first() or ""
    definition = WorkflowDefinition.model_validate(run.definition)
    json_keys = [s.key for s in definition.steps if s.output != OutputFormat.TEXT and not s.for_each]
    preview_len = case(
        ((col(StepRun.item_index) == NO_ITEM) & col(StepRun.key).in_(json_keys), JSON_READ_CHARS),
        (col(StepRun.item_index) == NO_ITEM, STEP_PREVIEW_CHARS),
        else_=ITEM_PREVIEW_CHARS,
    )
    rows = (
        await session.execute(
            select(  # type: ignore[call-overload]
                *_COLUMNS,
                func.left(col(StepRun.output), preview_len).label("preview"),
                func.length(col(StepRun.output)).label("output_chars"),
            )
            .where(StepRun.run_id == run.id)
            .order_by(col(StepRun.key), col(StepRun.item_index))
        )
    ).all()
    sources: dict[str, dict[str, str]] = run.inputs.get("sources", {})
    parents = {r.key: r for r in rows if r.item_index == NO_ITEM}
    items: dict[str, list[Any]] = {}
    for r in rows:
        if r.item_index != NO_ITEM:
            items.setdefault(r.key, []).append(r)
    steps: list[StepView] = []
    done = total = 0
    for step in definition.steps:
        p = parents.get(step.key)
        if p is None:
            continue
        mine = items.get(step.key, [])
        view = StepView(
            key=step.key,
            name=step.title,
            kind=step.kind.value,
            status=p.status,
            row_id=str(p.id),
            provider=p.provider,
            model=p.model,
            duration_s=_duration(p.started_at, p.finished_at),
            tokens=p.tokens_in + p.tokens_out + sum(i.tokens_in + i.tokens_out for i in mine),
            cost_usd=p.cost_usd + sum((i.cost_usd for i in mine), Decimal(0)),
            error=p.error,
            attempts=_attempts(p.attempts),
            preview=p.preview or "",
            output_chars=p.output_chars or 0,
            context_note=p.context_note,
            review_note=p.review_note,
            fan_out=bool(step.for_each),
            reused=p.reused_from is not None,
            output_format=step.output.value,
        )
        if step.for_each:
            view.items_total = len(mine)
            view.items_done = sum(1 for i in mine if i.status == StepStatus.SUCCEEDED.value)
            view.items_failed = sum(1 for i in mine if i.status == StepStatus.FAILED.value)
            view.items_running = sum(1 for i in mine if i.status == StepStatus.RUNNING.value)
            view.items = [
                ItemView(
                    str(i.id),
                    i.item_index,
                    i.label,
                    i.status,
                    _duration(i.started_at, i.finished_at),
                    i.tokens_in + i.tokens_out,
                    i.cost_usd,
                    i.error,
                    i.preview or "",
                    i.output_chars or 0,
                    _sources(i.item, sources),
                )
                for i in mine[:items_limit]
            ]
            done += view.items_done
            total += max(len(mine), 1)
        else:
            done += p.status == StepStatus.SUCCEEDED.value
            total += 1
        steps.append(view)
    coverage = [
        Coverage(
            s.key,
            s.title,
            s.for_each,
            definition.step(s.for_each).title,  # type: ignore[union-attr]
            len(items.get(s.key, [])),
            sum(1 for i in items.get(s.key, []) if i.status == StepStatus.SUCCEEDED.value),
            [i.label for i in items.get(s.key, []) if i.status != StepStatus.SUCCEEDED.value],
        )
        for s in definition.steps
        if s.for_each
        and (s.for_each, NO_ITEM) in {(k, NO_ITEM) for k in parents}
        and definition.step(s.for_each) is not None
        and definition.step(s.for_each).output == OutputFormat.JSON_LIST  # type: ignore[union-attr]
        and parents[s.for_each].status == StepStatus.SUCCEEDED.value
    ]
    review_text = ""
    waiting = next(
        (s for s in steps if s.status == StepStatus.WAITING_REVIEW.value and s.kind == StepKind.REVIEW), None
    )
    if waiting is not None:
        review_text = await step_output(session, ctx, run.id, uuid.UUID(waiting.row_id))
    return RunView(
        waiting_since=await waiting_for_worker(session, run),
        id=str(run.id),
        project_id=str(run.project_id),
        workflow_id=str(run.workflow_id or ""),
        title=run.title,
        status=run.status,
        error=run.error,
        started_by=starter.name if starter else "someone",
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=_duration(run.started_at, run.paused_at if run.status == RunStatus.PAUSED.value else run.finished_at)
        if run.status != RunStatus.PENDING.value
        else None,
        # Summed from the steps: the run row gets its totals only when it ends.
        tokens_in=sum(r.tokens_in for r in rows),
        tokens_out=sum(r.tokens_out for r in rows),
        cost_usd=sum((r.cost_usd for r in rows), Decimal(0)),
        revision=run.revision,
        cancel_requested=run.cancel_requested,
        done=done,
        total=total,
        steps=steps,
        coverage=coverage,
        review_text=review_text,
        project_name=project_name,
        kind=run.kind,
        retrieved=retrieved_views(run.inputs.get("retrieved")),
        retrieval_used=isinstance(run.inputs.get("retrieved"), dict),
        pause_requested=run.pause_requested,
        paused_by=await _name(session, run.paused_by) if run.status == RunStatus.PAUSED.value else "",
        paused_at=run.paused_at if run.status == RunStatus.PAUSED.value else None,
        rerun_of=str(run.rerun_of or ""),
        rerun_from=run.rerun_from,
        compare_winner=str((run.inputs.get("compare") or {}).get("winner") or ""),
    )


async def _name(session: AsyncSession, user_id: uuid.UUID | None) -> str:
    user = await session.get(User, user_id) if user_id else None
    return user.name if user else "someone"


async def waiting_for_worker(session: AsyncSession, run: Run) -> datetime | None:
    """Since when nothing runs this active run: a running one whose heartbeat stopped (its worker
    died or froze and no other has taken it over yet), or a queued one while no worker is alive."""
    settings = get_settings()
    if run.status == RunStatus.RUNNING.value:
        silent = timedelta(seconds=max(3 * settings.run_heartbeat_seconds, settings.worker_stalled_seconds))
        beat = run.heartbeat_at
        return beat if beat is not None and beat < utcnow() - silent else None
    if run.status != RunStatus.PENDING.value:
        return None
    seen = await workers(session, settings.worker_stalled_seconds)
    if seen.alive:
        return None
    return max(moment for moment in (run.updated_at, seen.last_seen) if moment is not None)


async def step_output(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, row_id: str | uuid.UUID
) -> str:
    """The full output of one step or item (the page shows previews until asked)."""
    row = await session.get(StepRun, parse_id(row_id, "Step"))
    if row is None or row.run_id != parse_id(run_id, "Run"):
        raise NotFound("Step not found.")
    return row.output


async def run_history(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> list[RunSummary]:
    project = await get_project(session, ctx, project_id)
    recent = (
        select(Run.id).where(Run.project_id == project.id).order_by(col(Run.created_at).desc()).limit(HISTORY_LIMIT)
    ).subquery()
    # Totals from the steps, so a run still going shows what it has cost so far.
    totals = (
        select(
            StepRun.run_id,
            func.sum(StepRun.tokens_in + StepRun.tokens_out).label("tokens"),
            func.sum(StepRun.cost_usd).label("cost"),
        )
        .where(col(StepRun.run_id).in_(select(recent.c.id)))
        .group_by(col(StepRun.run_id))
        .subquery()
    )
    rows = await session.execute(
        select(Run, User.name, totals.c.tokens, totals.c.cost, Report.id)  # type: ignore[call-overload]
        .outerjoin(User, col(User.id) == col(Run.started_by))
        .outerjoin(totals, totals.c.run_id == col(Run.id))
        .outerjoin(Report, col(Report.writer_run_id) == col(Run.id))  # the report a report run wrote
        .where(col(Run.id).in_(select(recent.c.id)))
        .order_by(col(Run.created_at).desc())
    )
    return [
        RunSummary(
            str(r.id),
            r.title,
            r.status,
            name or "someone",
            r.created_at,
            _duration(r.started_at, r.finished_at) if r.status != RunStatus.PENDING.value else None,
            Decimal(cost or 0),
            int(tokens or 0),
            kind=r.kind,
            discussion_id=str(r.inputs.get("discussion_id") or ""),
            report_id=str(report_id or ""),
        )
        for r, name, tokens, cost, report_id in rows
    ]
