"""Starting and steering runs: start, cancel, resume, retry a step, and review decisions.

Each command changes rows and (where work must follow) queues the run's job in the same
transaction, then announces the change: a run never waits for a job that was not queued, and
every page watching it sees the change at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUN_CONTROL_CHANNEL, RUNS_CHANNEL, notify
from nyx_app.db.queue import defer_run
from nyx_app.models.run import ACTIVE_RUN_STATUSES, NO_ITEM, Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.models.workflow import WorkflowInsight
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.personas.usage import persona_ids
from nyx_app.services.projects import get_project
from nyx_app.services.runs import pausing, readiness
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.validation import TextKind, optional_text, parse_id, required_text
from nyx_app.services.workflows.definition import StepKind, WorkflowDefinition
from nyx_app.services.workflows.store import WorkflowInvalid, get_workflow, reachable_models
from nyx_app.services.workflows.validate import DefinitionInvalid, check

REVIEW_TEXT_MAX = 500_000
REASON_MAX = 2_000
RETRYABLE = (StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELLED)


async def get_run(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> Run:
    run = await session.get(Run, parse_id(run_id, "Run"))
    if run is None:
        raise NotFound("Run not found.")
    return run


async def active_run(session: AsyncSession, ctx: TenantContext, workflow_id: str | uuid.UUID) -> Run | None:
    """The run of this workflow that is still going (there is at most one), if any."""
    wid = parse_id(workflow_id, "Workflow")
    return (
        await session.exec(
            select(Run).where(Run.workflow_id == wid, col(Run.status).in_([s.value for s in ACTIVE_RUN_STATUSES]))
        )
    ).first()


async def _announce(session: AsyncSession, run: Run) -> None:
    await session.execute(update(Run).where(col(Run.id) == run.id).values(revision=Run.revision + 1))
    await notify(session, RUNS_CHANNEL, str(run.id))


async def start_workflow_run(session: AsyncSession, ctx: TenantContext, workflow_id: str | uuid.UUID) -> Run:
    """Check the workflow and the project, then create the run and its step rows and queue its job."""
    require(ctx, Action.RUN_START)
    workflow = await get_workflow(session, ctx, workflow_id)
    reachable = await reachable_models(session, ctx)
    try:
        definition = check(workflow.definition, reachable, await persona_ids(session))
    except DefinitionInvalid as invalid:
        raise WorkflowInvalid(invalid.problems, "The saved workflow cannot start") from None
    project = await get_project(session, ctx, workflow.project_id)
    # The same reasons the page showed before the click (runs/readiness.py), in the same words.
    _, model_problem = await readiness.model_blocker(session, project, reachable)
    if model_problem and any(s.kind == StepKind.LLM and not s.model for s in definition.steps):
        raise InvalidInput(model_problem.message)
    if notes_problem := await readiness.notes_blocker(session, project.id, definition):
        raise InvalidInput(notes_problem.message)
    await check_can_start(session, RunKind.WORKFLOW, project.id, workflow.id)
    return await create_run(
        session,
        ctx,
        project_id=project.id,
        kind=RunKind.WORKFLOW,
        title=workflow.name,
        definition=definition,
        inputs={"template": workflow.template},
        workflow_id=workflow.id,
    )


async def create_run(
    session: AsyncSession,
    ctx: TenantContext,
    *,
    project_id: uuid.UUID,
    kind: RunKind,
    title: str,
    definition: WorkflowDefinition,
    inputs: dict[str, Any],
    workflow_id: uuid.UUID | None = None,
) -> Run:
    """The run, its step rows and its job, in the caller's transaction. The caller has checked
    the definition and the guard (``check_can_start``)."""
    run = Run(
        tenant_id=ctx.tenant_id,
        project_id=project_id,
        kind=kind.value,
        workflow_id=workflow_id,
        title=title,
        definition=definition.model_dump(mode="json"),
        inputs=inputs,
        started_by=ctx.user_id,
    )
    session.add(run)
    await session.flush()
    session.add_all(StepRun(tenant_id=ctx.tenant_id, run_id=run.id, key=s.key) for s in definition.steps)
    await session.flush()
    await defer_run(session, str(ctx.tenant_id), str(run.id))
    return run


async def cancel_run(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> Run:
    """Stop a run. A run no worker holds (queued, waiting for review) is cancelled here; a running
    one is told through NOTIFY and its worker, in whatever process, stops its calls."""
    require(ctx, Action.RUN_CANCEL)
    run = await get_run(session, ctx, run_id)
    status = RunStatus(run.status)
    if status.finished:
        raise Conflict(f"This run has already {status.value}.")
    run.cancel_requested = True
    if status in (RunStatus.PENDING, RunStatus.WAITING, RunStatus.PAUSED):
        run.status, run.error, run.finished_at = RunStatus.CANCELLED.value, "Cancelled by a user.", utcnow()
        await session.execute(
            update(StepRun)
            .where(
                col(StepRun.run_id) == run.id,
                col(StepRun.status).in_([StepStatus.QUEUED.value, StepStatus.WAITING_REVIEW.value]),
            )
            .values(status=StepStatus.CANCELLED.value, error="Cancelled.")
        )
    session.add(run)
    await session.flush()
    await notify(session, RUN_CONTROL_CHANNEL, str(run.id))
    await _announce(session, run)
    return run


async def _requeue(session: AsyncSession, ctx: TenantContext, run: Run, rows: list[StepRun]) -> Run:
    for row in rows:
        row.status, row.error = StepStatus.QUEUED.value, ""
        session.add(row)
    run.status, run.error, run.finished_at, run.cancel_requested = RunStatus.PENDING.value, "", None, False
    session.add(run)
    await session.flush()
    await defer_run(session, str(ctx.tenant_id), str(run.id))
    await _announce(session, run)
    return run


async def _rows(session: AsyncSession, run: Run) -> list[StepRun]:
    return list(await session.exec(select(StepRun).where(StepRun.run_id == run.id)))


async def resume_run(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> Run:
    """Go on from where a paused, failed or cancelled run stopped: finished steps are kept, not paid
    again."""
    require(ctx, Action.RUN_START)
    run = await get_run(session, ctx, run_id)
    if run.status == RunStatus.PAUSED.value:  # it still holds its workflow: no guard to pass again
        return await pausing.resume_paused(session, ctx, run)
    if run.status not in (RunStatus.FAILED.value, RunStatus.CANCELLED.value):
        raise Conflict("Only a failed or cancelled run can be resumed.")
    await check_can_start(
        session, RunKind(run.kind), run.project_id, run.workflow_id,
        discussion_id=run.inputs.get("discussion_id"), note_id=run.inputs.get("note_id"),
    )  # fmt: skip
    return await _requeue(
        session, ctx, run, [r for r in await _rows(session, run) if StepStatus(r.status) in RETRYABLE]
    )


async def retry_step(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, step_key: str) -> Run:
    """Try a failed step again (its failed items, for a fan-out step), and what waited for it."""
    require(ctx, Action.RUN_START)
    run = await get_run(session, ctx, run_id)
    if run.status != RunStatus.FAILED.value:
        raise Conflict("Steps can be retried once the run has failed.")
    rows = await _rows(session, run)
    target = [r for r in rows if r.key == step_key and r.status == StepStatus.FAILED.value]
    if not target:
        raise NotFound("That step has not failed, or does not exist.")
    await check_can_start(
        session, RunKind(run.kind), run.project_id, run.workflow_id,
        discussion_id=run.inputs.get("discussion_id"), note_id=run.inputs.get("note_id"),
    )  # fmt: skip
    skipped = [r for r in rows if r.status == StepStatus.SKIPPED.value]
    return await _requeue(session, ctx, run, target + skipped)


async def _waiting_review(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, step_key: str
) -> tuple[Run, StepRun]:
    run = await get_run(session, ctx, run_id)
    row = (
        await session.exec(
            select(StepRun).where(StepRun.run_id == run.id, StepRun.key == step_key, StepRun.item_index == NO_ITEM)
        )
    ).first()
    if row is None or row.status != StepStatus.WAITING_REVIEW.value:
        raise Conflict("This step is not waiting for a review (someone may have reviewed it a moment ago).")
    return run, row


async def approve_review(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, step_key: str, text: str, note: str = ""
) -> Run:
    """Accept the reviewed output (as edited by the reviewer); the run goes on. The approved text
    is kept as a workflow insight."""
    require(ctx, Action.REVIEW)
    run, row = await _waiting_review(session, ctx, run_id, step_key)
    approved = required_text(text, "The reviewed text", REVIEW_TEXT_MAX, kind=TextKind.PROSE)
    row.output, row.status, row.reviewed_by = approved, StepStatus.SUCCEEDED.value, ctx.user_id
    row.review_note, row.finished_at = optional_text(note, "Review note", REASON_MAX, kind=TextKind.PROSE), utcnow()
    session.add(row)
    session.add(
        WorkflowInsight(
            tenant_id=ctx.tenant_id,
            project_id=run.project_id,
            run_id=run.id,
            step_key=step_key,
            text=approved,
            created_by=ctx.user_id,
        )
    )
    run.status = RunStatus.PENDING.value
    session.add(run)
    await session.flush()
    await defer_run(session, str(ctx.tenant_id), str(run.id))
    await _announce(session, run)
    return run


async def reject_review(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, step_key: str, reason: str
) -> Run:
    """Fail the run with the reviewer's reason; steps that waited for the review are skipped."""
    require(ctx, Action.REVIEW)
    run, row = await _waiting_review(session, ctx, run_id, step_key)
    reason = required_text(reason, "The reason", REASON_MAX, kind=TextKind.PROSE)
    row.status, row.error, row.reviewed_by = StepStatus.FAILED.value, f"Rejected: {reason}", ctx.user_id
    row.review_note, row.finished_at = reason, utcnow()
    session.add(row)
    await session.execute(
        update(StepRun)
        .where(col(StepRun.run_id) == run.id, col(StepRun.status) == StepStatus.QUEUED.value)
        .values(status=StepStatus.SKIPPED.value, error="The review was rejected.")
    )
    run.status, run.error, run.finished_at = RunStatus.FAILED.value, f"The review was rejected: {reason}", utcnow()
    session.add(run)
    await session.flush()
    await _announce(session, run)
    return run
