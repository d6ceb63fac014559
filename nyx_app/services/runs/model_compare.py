"""Comparing 2 to 4 models on one step of a finished run: a run of its own kind (``MODEL_COMPARE``) on
the same engine, guard, budget and lease as every run.

The comparison run holds the steps the chosen one waits for, copied with their answers from the
source run (``StepRun.reused_from``: not asked again), and one copy of the chosen step per model
(``<key>__1`` …), each pinned to its model (no fallback: a model that fails shows its failure, the
others their answers). All copies start at once. Refused before anything starts, in words: a model
the workspace cannot reach, a budget too small for the estimate of all the copies. The winner is
kept on the comparison (the workflow's run history keeps the comparisons) and, if asked, becomes
the step's model in the workflow.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.queue import defer_run
from nyx_app.models.run import NO_ITEM, Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import material
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.llm.preferences import budget_and_chain
from nyx_app.services.llm.spend import month_spend
from nyx_app.services.permissions import Action, require
from nyx_app.services.personas.usage import persona_ids
from nyx_app.services.reports.text import money
from nyx_app.services.runs.control import get_run
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.runs.reruns import copied_row
from nyx_app.services.workflows import store
from nyx_app.services.workflows.definition import StepKind, WorkflowDefinition
from nyx_app.services.workflows.estimate import estimate_definition
from nyx_app.services.workflows.validate import DefinitionInvalid, check, needs

MODELS_MIN, MODELS_MAX = 2, 4
VARIANT = "__"  # "<step>__<n>": the copy of the step for the n-th model


def variant_key(step_key: str, number: int) -> str:
    return f"{step_key}{VARIANT}{number}"


def ancestors(definition: WorkflowDefinition, key: str) -> set[str]:
    """Every step ``key`` waits for, directly or through others."""
    waits = {s.key: needs(s) for s in definition.steps}
    found: set[str] = set()
    todo = list(waits.get(key, []))
    while todo:
        step = todo.pop()
        if step not in found:
            found.add(step)
            todo += waits.get(step, [])
    return found


def _models(chosen: list[str]) -> list[str]:
    models = list(dict.fromkeys(m.strip() for m in chosen if m and m.strip()))
    if not MODELS_MIN <= len(models) <= MODELS_MAX:
        raise InvalidInput(f"Choose {MODELS_MIN} to {MODELS_MAX} different models to compare.")
    return models


async def _affordable(session: AsyncSession, ctx: TenantContext, run: Run, variants: WorkflowDefinition) -> None:
    """Refuse, with the estimate, a comparison the month's budget may not cover."""
    sizes = await material.sizes(session, run.project_id)
    guess = estimate_definition(variants, sizes.model, sizes.notes_chars, sizes.memory_chars, sizes.images)
    budget, _ = await budget_and_chain(session, ctx)
    if budget is None:
        return
    left = budget - await month_spend(session, ctx)
    highs = [s.cost_max for s in guess.steps]
    worst = sum((h for h in highs if h is not None), Decimal(0))
    if worst > left:
        raise InvalidInput(
            f"The comparison may cost up to {money(worst)} and the workspace has {money(left)} of its monthly "
            "budget left: choose fewer or cheaper models, or raise the budget first."
        )


async def start_comparison(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, step_key: str, models: list[str]
) -> Run:
    require(ctx, Action.RUN_START)
    source = await get_run(session, ctx, run_id)
    if source.kind != RunKind.WORKFLOW.value or not RunStatus(source.status).finished:
        raise Conflict("Models are compared on a step of a finished workflow run.")
    definition = WorkflowDefinition.model_validate(source.definition)
    step = definition.step(step_key)
    if step is None:
        raise NotFound("That step is not in this run (it may belong to a newer version of the workflow).")
    if step.kind != StepKind.LLM:
        raise InvalidInput("Only a step that asks a model can compare models.")
    if step.for_each:
        raise InvalidInput("Comparing models on a fan-out step (on a sample of its items) is not available yet.")
    chosen = _models(models)
    reachable = await store.reachable_models(session, ctx)
    unreachable = [m for m in chosen if m not in reachable]
    if unreachable:
        raise InvalidInput(
            f"The workspace cannot reach {', '.join(unreachable)}: add its provider on the Providers page, "
            "or choose another model."
        )
    before = ancestors(definition, step_key)
    rows = list(
        await session.exec(select(StepRun).where(StepRun.run_id == source.id).order_by(col(StepRun.item_index)))
    )
    done = {r.key for r in rows if r.item_index == NO_ITEM and r.status == StepStatus.SUCCEEDED.value}
    if before - done:
        raise Conflict("The steps this one waits for did not all succeed in this run: re-run it first.")
    raw = source.definition
    kept = [s for s in raw.get("steps", []) if s.get("key") in before]
    copies = [
        {**step.model_dump(mode="json"), "key": variant_key(step_key, n), "name": f"{step.title} · {m}", "model": m}
        for n, m in enumerate(chosen, start=1)
    ]
    try:
        compared = check({**raw, "steps": [*kept, *copies]}, reachable, await persona_ids(session))
    except DefinitionInvalid as invalid:
        raise store.WorkflowInvalid(invalid.problems, "The comparison did not start") from None
    await _affordable(session, ctx, source, WorkflowDefinition.model_validate({"steps": copies}))
    await check_can_start(session, RunKind.MODEL_COMPARE, source.project_id, source.workflow_id)
    inputs: dict[str, Any] = {k: v for k, v in source.inputs.items() if k != "sources"}
    inputs["compare"] = {"step": step_key, "models": chosen, "winner": ""}
    run = Run(
        tenant_id=ctx.tenant_id,
        project_id=source.project_id,
        kind=RunKind.MODEL_COMPARE.value,
        workflow_id=source.workflow_id,
        title=f"{step.title}: {len(chosen)} models compared",
        definition=compared.model_dump(mode="json"),
        inputs=inputs,
        started_by=ctx.user_id,
        rerun_of=source.id,
        rerun_from=step_key,
    )
    session.add(run)
    await session.flush()
    session.add_all(copied_row(ctx, run.id, r) for r in rows if r.key in before)
    session.add_all(StepRun(tenant_id=ctx.tenant_id, run_id=run.id, key=c["key"]) for c in copies)
    await session.flush()
    await defer_run(session, str(ctx.tenant_id), str(run.id))
    return run


async def pick_winner(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, variant: str, apply: bool = False
) -> str:
    """Mark the model of ``variant`` the winner; with ``apply``, it becomes the step's model in the
    workflow. Returns the winning model."""
    require(ctx, Action.RUN_START)
    run = await get_run(session, ctx, run_id)
    compare = run.inputs.get("compare") if run.kind == RunKind.MODEL_COMPARE.value else None
    if not compare:
        raise NotFound("Comparison not found.")
    step_key, models = compare["step"], compare["models"]
    try:
        number = int(variant.rsplit(VARIANT, 1)[1])
        model = models[number - 1]
    except (IndexError, ValueError):
        raise NotFound("That model is not in this comparison.") from None
    row = (
        await session.exec(
            select(StepRun).where(StepRun.run_id == run.id, StepRun.key == variant_key(step_key, number))
        )
    ).first()
    if row is None or row.status != StepStatus.SUCCEEDED.value:
        raise Conflict("That model gave no answer here: pick one that did.")
    run.inputs = {**run.inputs, "compare": {**compare, "winner": model}}
    flag_modified(run, "inputs")
    session.add(run)
    if apply:
        if run.workflow_id is None:
            raise NotFound("The workflow of this comparison was deleted: the winner is kept here only.")
        workflow = await store.get_workflow(session, ctx, run.workflow_id)
        steps = [dict(s) for s in workflow.definition.get("steps", [])]
        target = next((s for s in steps if s.get("key") == step_key), None)
        if target is None:
            raise NotFound("The workflow no longer has this step: the winner is kept here only.")
        target["model"] = model
        await store.save_workflow(
            session,
            ctx,
            workflow.id,
            name=workflow.name,
            description=workflow.description,
            definition={**workflow.definition, "steps": steps},
        )
    await session.flush()
    return model
