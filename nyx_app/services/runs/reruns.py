"""Re-running a finished run from one of its steps, with that step's prompt or model edited.

The new run is an ordinary workflow run of the same engine (same guard, budget, lease, finisher):
what differs is what it starts with. It takes the old run's definition (the one that run started
with, not the workflow as edited since), changes the chosen step, and checks it as a start does.
Steps the chosen one does not lead to, and that succeeded in the old run, are copied with their
answers (``StepRun.reused_from``; fan-out items too), at no cost: the executor finds them done and
asks no model for them. The chosen step and every step that waits on it, directly or not, start
queued. The new run links to the old one (``Run.rerun_of``) and the two compare step by step
(``compare.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.queue import defer_run
from nyx_app.models.run import Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.personas.usage import persona_ids
from nyx_app.services.runs.control import get_run
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.validation import TextKind, required_text
from nyx_app.services.workflows.definition import PROMPT_MAX, StepKind, WorkflowDefinition
from nyx_app.services.workflows.store import WorkflowInvalid, reachable_models
from nyx_app.services.workflows.validate import DefinitionInvalid, check, needs

_COPIED = (
    "item_index",
    "item",
    "label",
    "provider",
    "model",
    "prompt",
    "output",
    "output_data",
    "context_note",
    "review_note",
    "reviewed_by",
    "started_at",
    "finished_at",
)


def copied_row(ctx: TenantContext, run_id: uuid.UUID, row: StepRun) -> StepRun:
    """``row`` of an earlier run, answer and all, for run ``run_id``: done, at no cost."""
    copied = {name: getattr(row, name) for name in _COPIED}
    return StepRun(tenant_id=ctx.tenant_id, run_id=run_id, key=row.key, status=row.status, reused_from=row.id, **copied)


def downstream(definition: WorkflowDefinition, key: str) -> set[str]:
    """``key`` and every step that waits on it, directly or through others."""
    waits = {s.key: set(needs(s)) for s in definition.steps}
    found = {key}
    grew = True
    while grew:
        grew = False
        for step, wanted in waits.items():
            if step not in found and wanted & found:
                found.add(step)
                grew = True
    return found


async def rerun_from_step(
    session: AsyncSession,
    ctx: TenantContext,
    run_id: str | uuid.UUID,
    step_key: str,
    *,
    prompt: str | None = None,
    model: str | None = None,
) -> Run:
    """A new run of ``run_id``'s definition with step ``step_key`` edited, from that step on."""
    require(ctx, Action.RUN_START)
    old = await get_run(session, ctx, run_id)
    if old.kind != RunKind.WORKFLOW.value:
        raise Conflict("Only workflow runs can be re-run from a step.")
    if not RunStatus(old.status).finished:
        raise Conflict("This run has not finished yet: pause or cancel it, or wait until it ends, to re-run a step.")
    raw: dict[str, Any] = dict(old.definition)
    steps = [dict(s) for s in raw.get("steps", [])]
    target = next((s for s in steps if s.get("key") == step_key), None)
    if target is None:
        raise NotFound("That step is not in this run (it may belong to a newer version of the workflow).")
    if target.get("kind", StepKind.LLM.value) != StepKind.LLM.value:
        raise InvalidInput("Only a step that asks a model can be re-run with changes; choose one of those.")
    if prompt is not None:
        target["prompt"] = required_text(prompt, "The prompt", PROMPT_MAX, kind=TextKind.PROSE)
    if model is not None:
        target["model"] = model.strip()
    raw["steps"] = steps
    try:
        definition = check(raw, await reachable_models(session, ctx), await persona_ids(session))
    except DefinitionInvalid as invalid:
        raise WorkflowInvalid(invalid.problems, "The re-run did not start") from None
    await check_can_start(session, RunKind.WORKFLOW, old.project_id, old.workflow_id)

    again = downstream(definition, step_key)
    rows = list(await session.exec(select(StepRun).where(StepRun.run_id == old.id).order_by(col(StepRun.item_index))))
    done = {r.key for r in rows if r.item_index == -1 and r.status == StepStatus.SUCCEEDED.value}
    reused = {s.key for s in definition.steps if s.key not in again and s.key in done}
    run = Run(
        tenant_id=ctx.tenant_id,
        project_id=old.project_id,
        kind=RunKind.WORKFLOW.value,
        workflow_id=old.workflow_id,
        title=old.title,
        definition=definition.model_dump(mode="json"),
        inputs={k: v for k, v in old.inputs.items() if k != "sources"},
        started_by=ctx.user_id,
        rerun_of=old.id,
        rerun_from=step_key,
    )
    session.add(run)
    await session.flush()
    for step in definition.steps:
        if step.key not in reused:
            session.add(StepRun(tenant_id=ctx.tenant_id, run_id=run.id, key=step.key))
    session.add_all(copied_row(ctx, run.id, row) for row in rows if row.key in reused)
    await session.flush()
    await defer_run(session, str(ctx.tenant_id), str(run.id))
    return run


async def step_settings(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, step_key: str
) -> tuple[str, str, str]:
    """The title, prompt and model step ``step_key`` had in this run (what a re-run starts from)."""
    run = await get_run(session, ctx, run_id)
    step = WorkflowDefinition.model_validate(run.definition).step(step_key)
    if step is None:
        raise NotFound("That step is not in this run (it may belong to a newer version of the workflow).")
    return step.title, step.prompt, step.model
