"""Two runs of one project step by step: each step's answer in both (previews), its model, status
and cost in each, whether the later run reused the earlier answer, and what the later run cost
more or less. Used for a re-run and the run it came from, and for any two runs of a workflow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.run import NO_ITEM, Run, StepRun
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.runs.control import get_run
from nyx_app.services.workflows.definition import WorkflowDefinition

PREVIEW_CHARS = 4_000


@dataclass(frozen=True, slots=True)
class Side:
    status: str  # "" when the step is not in this run
    model: str
    preview: str
    output_chars: int
    cost_usd: Decimal
    tokens: int
    reused: bool  # the answer was copied from an earlier run, not asked for


@dataclass(frozen=True, slots=True)
class StepPair:
    key: str
    name: str
    a: Side
    b: Side

    @property
    def same_output(self) -> bool:
        return self.a.output_chars == self.b.output_chars and self.a.preview == self.b.preview


@dataclass(frozen=True, slots=True)
class RunHead:
    id: str
    title: str
    status: str
    created_at: datetime
    cost_usd: Decimal
    rerun_from: str


@dataclass(frozen=True, slots=True)
class Comparison:
    project_id: str
    a: RunHead
    b: RunHead
    steps: list[StepPair]

    @property
    def cost_difference(self) -> Decimal:
        """What run b cost more (negative: less) than run a."""
        return self.b.cost_usd - self.a.cost_usd


_EMPTY = Side("", "", "", 0, Decimal(0), 0, False)


async def _sides(session: AsyncSession, run: Run) -> dict[str, Side]:
    """Per step: its own row, with its fan-out items' tokens and cost added."""
    totals = (
        select(
            StepRun.key,
            func.sum(StepRun.cost_usd).label("cost"),
            func.sum(StepRun.tokens_in + StepRun.tokens_out).label("tokens"),
        )
        .where(StepRun.run_id == run.id)
        .group_by(col(StepRun.key))
        .subquery()
    )
    rows = await session.execute(
        select(  # type: ignore[call-overload]
            StepRun.key,
            StepRun.status,
            StepRun.provider,
            StepRun.model,
            StepRun.reused_from,
            func.left(col(StepRun.output), PREVIEW_CHARS).label("preview"),
            func.length(col(StepRun.output)).label("chars"),
            totals.c.cost,
            totals.c.tokens,
        )
        .join(totals, totals.c.key == col(StepRun.key))
        .where(StepRun.run_id == run.id, StepRun.item_index == NO_ITEM)
    )
    return {
        r.key: Side(
            r.status,
            r.model,
            r.preview or "",
            r.chars or 0,
            Decimal(r.cost or 0),
            int(r.tokens or 0),
            r.reused_from is not None,
        )
        for r in rows
    }


def _head(run: Run, cost: Decimal) -> RunHead:
    return RunHead(str(run.id), run.title, run.status, run.created_at, cost, run.rerun_from)


async def compare_runs(
    session: AsyncSession, ctx: TenantContext, run_a: str | uuid.UUID, run_b: str | uuid.UUID
) -> Comparison:
    """Runs ``run_a`` (the earlier) and ``run_b`` side by side; both must be of one project."""
    a, b = await get_run(session, ctx, run_a), await get_run(session, ctx, run_b)
    if a.project_id != b.project_id:
        raise NotFound("Run not found.")
    sides_a, sides_b = await _sides(session, a), await _sides(session, b)
    names: dict[str, str] = {}
    for run in (b, a):  # the later run's order and names first, then steps only the earlier had
        for step in WorkflowDefinition.model_validate(run.definition).steps:
            names.setdefault(step.key, step.title)
    pairs = [StepPair(k, n, sides_a.get(k, _EMPTY), sides_b.get(k, _EMPTY)) for k, n in names.items()]
    cost_a = sum((s.cost_usd for s in sides_a.values()), Decimal(0))
    cost_b = sum((s.cost_usd for s in sides_b.values()), Decimal(0))
    return Comparison(str(a.project_id), _head(a, cost_a), _head(b, cost_b), pairs)
