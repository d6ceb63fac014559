"""Reports a model writes — the executive summary and the dev-log post — are runs of the engine.

Starting one gathers the project's material, writes a one-step definition (the material enters the
prompt through ``templates.literal``: shown to the model, never evaluated), checks it like any
workflow and creates the run; its progress shows on the run page like any run's. When the run
succeeds, the finisher (``save_written_report``, registered in engine/finishers.py) saves the
report from the step's answer. It is idempotent: a report remembers the run that wrote it
(``writer_run_id``, unique), so a finisher that runs twice finds the first report.

The dev-log step answers JSON checked against ``devlog.SCHEMA`` by the call path: an answer that
does not parse or does not fit is rejected and the next model of the chain is tried.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.project import Project
from nyx_app.models.report import Report, ReportKind
from nyx_app.models.run import NO_ITEM, REPORT_KINDS, Run, RunKind, RunStatus, StepRun
from nyx_app.models.tenancy import Role
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.llm.validators import parse_json
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.reports import devlog
from nyx_app.services.reports.activity import Period, parse_period, project_activity
from nyx_app.services.reports.store import save_report
from nyx_app.services.reports.text import one_line
from nyx_app.services.runs import control, readiness
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.workflows.store import reachable_models
from nyx_app.services.workflows.templates import literal
from nyx_app.services.workflows.validate import DefinitionInvalid, check

SUMMARY_KEY = "summary"
POST_KEY = "post"
KIND_OF_RUN = {RunKind.REPORT_SUMMARY: ReportKind.SUMMARY, RunKind.REPORT_DEVLOG: ReportKind.DEVLOG}
# Failed report runs stay listed on the Reports tab (to open and resume) for this long.
FAILED_SHOWN_FOR = timedelta(days=2)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)

_SUMMARY_PROMPT = """Write an executive summary of the project "{{{{ project.name }}}}" for a decision maker
who has five minutes. Base it only on the material below; say so where the material is thin.

Start with the level-1 heading "Executive summary: {{{{ project.name }}}}", then these sections:
## Where the project stands
## Key results
## Risks and open problems
## Recommended next steps
## Cost so far (from the runs listed; say what they cost in total)
Be concrete and brief. Write Markdown.

# Project description
{{{{ project.description }}}}

# Notes
{{{{ notes }}}}

# Memory entries
{{{{ memory }}}}

# Workflow runs
{runs}

# Discussions
{discussions}
"""

_DEVLOG_PROMPT = """Write a dev-log post about what happened in the project "{{{{ project.name }}}}" from {period}:
an honest, concrete account for other developers, like a good engineering blog post. Use only
the material below; name the features, the problems and their causes, and what was learned.

Answer with one JSON object only, no prose around it, in exactly this shape:
{shape}

# Workflow runs in the period
{runs}

# Notes written or changed in the period
{notes}

# Memory entries written or changed in the period
{memory}

# Discussions in the period
{discussions}
"""


@dataclass(frozen=True, slots=True)
class WritingRun:
    """A report run that is still going, or failed without a report, for the Reports tab."""

    run_id: str
    kind: ReportKind
    title: str
    status: RunStatus
    error: str
    created_at: datetime


async def _project_model(session: AsyncSession, ctx: TenantContext, project: Project) -> set[str]:
    reachable = await reachable_models(session, ctx)
    _, problem = await readiness.model_blocker(session, project, reachable)
    if problem is not None:
        raise InvalidInput(problem.message)
    return reachable


async def _start(
    session: AsyncSession,
    ctx: TenantContext,
    project: Project,
    kind: RunKind,
    title: str,
    step: dict[str, Any],
    inputs: dict[str, Any],
) -> Run:
    reachable = await _project_model(session, ctx, project)
    try:
        definition = check({"steps": [step]}, reachable)
    except DefinitionInvalid as invalid:
        raise InvalidInput(" ".join(dict.fromkeys(p.message for p in invalid.problems))) from None
    await check_can_start(session, kind, project.id, None)
    return await control.create_run(
        session, ctx, project_id=project.id, kind=kind, title=title, definition=definition, inputs=inputs
    )


async def start_summary(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> Run:
    """An executive summary from the project's notes, memory, runs and discussions."""
    require(ctx, Action.REPORT_GENERATE)
    project = await get_project(session, ctx, project_id)
    activity = await project_activity(session, project.id)
    prompt = _SUMMARY_PROMPT.format(
        runs=literal(activity.section("runs")), discussions=literal(activity.section("discussions"))
    )
    step = {
        "key": SUMMARY_KEY,
        "name": "Executive summary",
        "system": "You are a senior engineering lead who writes clear, candid executive summaries.",
        "prompt": prompt,
    }
    title = f"Executive summary: {project.name}"
    return await _start(session, ctx, project, RunKind.REPORT_SUMMARY, title[:200], step, {})


async def start_devlog(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, since: str, until: str
) -> Run:
    """A dev-log post about the runs, notes, memory entries and discussions of a period."""
    require(ctx, Action.REPORT_GENERATE)
    period = parse_period(since, until)
    project = await get_project(session, ctx, project_id)
    activity = await project_activity(session, project.id, period)
    if activity.empty:
        raise InvalidInput(
            f"Nothing happened in this project from {period.text()}: no runs, notes, memory entries or "
            "discussions. Choose another period."
        )
    prompt = _DEVLOG_PROMPT.format(
        period=period.text(),
        shape=literal(devlog.SHAPE),
        **{name: literal(activity.section(name)) for name in ("runs", "notes", "memory", "discussions")},
    )
    step = {
        "key": POST_KEY,
        "name": "Dev-log post",
        "system": "You are a developer who writes honest, specific dev-log posts about your team's work.",
        "prompt": prompt,
        "output": "json_object",
        "output_schema": devlog.SCHEMA,
    }
    title = f"Dev-log post: {project.name}, {period.text()}"
    inputs = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    return await _start(session, ctx, project, RunKind.REPORT_DEVLOG, title[:200], step, inputs)


def summary_title(markdown: str, project_name: str) -> str:
    heading = _H1.search(markdown)
    return one_line(heading.group(1)) if heading else f"Executive summary: {project_name}"


async def save_written_report(session: AsyncSession, run: Run) -> None:
    """Finisher of report runs: the report, written as the person who asked for it. Once."""
    locked = (await session.exec(select(Run).where(Run.id == run.id).with_for_update())).first()
    if locked is None or run.started_by is None:
        return
    done = (await session.exec(select(Report.id).where(Report.writer_run_id == run.id))).first()
    if done is not None:
        return
    kind = KIND_OF_RUN[RunKind(run.kind)]
    key = SUMMARY_KEY if kind == ReportKind.SUMMARY else POST_KEY
    step = (
        await session.exec(
            select(StepRun).where(StepRun.run_id == run.id, StepRun.key == key, StepRun.item_index == NO_ITEM)
        )
    ).first()
    project = await session.get(Project, run.project_id)
    if step is None or project is None or not step.output.strip():
        return
    ctx = TenantContext(run.tenant_id, run.started_by, Role.MEMBER)
    if kind == ReportKind.SUMMARY:
        body, title, data = step.output.strip() + "\n", summary_title(step.output, project.name), {}
    else:
        post = devlog.DevlogPost.model_validate(step.output_data or parse_json(step.output))
        body, title = devlog.compose(post), post.title
        data = {"post": post.model_dump(), "since": run.inputs.get("since"), "until": run.inputs.get("until")}
    await save_report(
        session, ctx, project_id=run.project_id, kind=kind, title=title, body=body, data=data, writer_run_id=run.id
    )


async def save_by_hand(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> Report | None:
    """Do the finisher's work when it did not happen (it failed and logged why)."""
    require(ctx, Action.REPORT_GENERATE)
    run = await control.get_run(session, ctx, run_id)
    if RunKind(run.kind) not in REPORT_KINDS or run.status != RunStatus.SUCCEEDED.value:
        raise InvalidInput("This run has not written a report.")
    await save_written_report(session, run)
    return (await session.exec(select(Report).where(Report.writer_run_id == run.id))).first()


async def writing_runs(session: AsyncSession, ctx: TenantContext, project_id: uuid.UUID) -> list[WritingRun]:
    """Report runs of the last days that have not (yet) written their report: going, failed,
    cancelled, or succeeded a moment ago."""
    has_report = exists().where(col(Report.writer_run_id) == col(Run.id))
    # Succeeded without a report: the finisher is about to save it (or failed to; see save_by_hand).
    open_statuses = [s.value for s in RunStatus]
    runs = await session.exec(
        select(Run)
        .where(
            Run.project_id == project_id,
            col(Run.kind).in_([k.value for k in REPORT_KINDS]),
            col(Run.status).in_(open_statuses),
            col(Run.created_at) > utcnow() - FAILED_SHOWN_FOR,
            ~has_report,
        )
        .order_by(col(Run.created_at).desc())
    )
    return [
        WritingRun(str(r.id), KIND_OF_RUN[RunKind(r.kind)], r.title, RunStatus(r.status), r.error, r.created_at)
        for r in runs
    ]


__all__ = ["Period", "WritingRun", "save_written_report", "start_devlog", "start_summary", "writing_runs"]
