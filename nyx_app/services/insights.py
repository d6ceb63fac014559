"""A project's workflow insights (approved review findings, written by ``runs.control.approve_review``)
and its consolidation patterns (recurring lessons distilled from them).

- Listed on the project's Insights page, newest first, or — with a query — in the order hybrid
  search ranks them (``knowledge.search.ranked_ids``, scoped to insights and the project: the
  header's search, by words and meaning). Each insight links to its run and the step it reviewed.
- Edited or deleted by the person who approved it, or by owners and admins (``INSIGHT_EDIT``);
  the search copy follows by trigger (db/knowledge_sql.py), so an edit is searchable by its new
  words at once and by meaning once re-embedded.
- A pattern is a titled lesson of a kind (convention, pitfall, best practice), written by hand or
  from chosen insights (their ids are kept); patterns are searched and retrieved like insights
  (``{{patterns}}``, note enrichment).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.library import PATTERN_TEXT_MAX, PATTERN_TITLE_MAX, ConsolidationPattern, PatternKind
from nyx_app.models.run import Run
from nyx_app.models.tenancy import User
from nyx_app.models.workflow import WorkflowInsight
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.validation import TextKind, parse_id, required_text
from nyx_app.services.workflows.definition import WorkflowDefinition

INSIGHT_TEXT_MAX = 500_000
LIST_MAX = 100


@dataclass(frozen=True, slots=True)
class InsightView:
    id: str
    text: str
    run_id: str
    run_title: str
    step_key: str
    step_name: str
    author: str
    created_at: datetime
    updated_at: datetime
    may_edit: bool


@dataclass(frozen=True, slots=True)
class PatternView:
    id: str
    kind: str
    title: str
    text: str
    author: str
    sources: int  # insights it came from
    updated_at: datetime
    may_edit: bool


@dataclass(frozen=True, slots=True)
class InsightsPage:
    project_id: str
    project_name: str
    insights: list[InsightView]
    patterns: list[PatternView]
    total: int  # insights of the project (a search shows fewer)


def _step_name(definition: dict[str, Any], key: str) -> str:
    try:
        step = WorkflowDefinition.model_validate(definition).step(key)
    except ValueError:
        step = None
    return step.title if step is not None else key


async def insights_page(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, ranked: tuple[uuid.UUID, ...] | None = None
) -> InsightsPage:
    """The project's insights (``ranked``: only those, in that order; None: the newest) and patterns."""
    project = await get_project(session, ctx, project_id)
    query = (
        select(WorkflowInsight, Run.title, Run.definition, User.name)
        .join(Run, col(Run.id) == col(WorkflowInsight.run_id))
        .outerjoin(User, col(User.id) == col(WorkflowInsight.created_by))
        .where(WorkflowInsight.project_id == project.id)
    )
    if ranked is not None:
        query = query.where(col(WorkflowInsight.id).in_(ranked))
    else:
        query = query.order_by(col(WorkflowInsight.created_at).desc()).limit(LIST_MAX)
    rows = list(await session.execute(query))
    views = [
        InsightView(
            str(i.id), i.text, str(i.run_id), run_title, i.step_key, _step_name(definition, i.step_key),
            author or "someone", i.created_at, i.updated_at,
            ctx.may(Action.INSIGHT_EDIT, author_id=i.created_by),
        )
        for i, run_title, definition, author in rows
    ]  # fmt: skip
    if ranked is not None:
        order = {str(r): n for n, r in enumerate(ranked)}
        views.sort(key=lambda v: order.get(v.id, len(order)))
    total = len(list(await session.exec(select(WorkflowInsight.id).where(WorkflowInsight.project_id == project.id))))
    return InsightsPage(str(project.id), project.name, views, await patterns_of(session, ctx, project.id), total)


async def _insight(session: AsyncSession, ctx: TenantContext, insight_id: str | uuid.UUID) -> WorkflowInsight:
    insight = await session.get(WorkflowInsight, parse_id(insight_id, "Insight"))
    if insight is None:
        raise NotFound("Insight not found.")
    return insight


async def update_insight(
    session: AsyncSession, ctx: TenantContext, insight_id: str | uuid.UUID, text: str
) -> WorkflowInsight:
    insight = await _insight(session, ctx, insight_id)
    require(ctx, Action.INSIGHT_EDIT, author_id=insight.created_by)
    insight.text = required_text(text, "The insight", INSIGHT_TEXT_MAX, kind=TextKind.PROSE)
    insight.updated_at = utcnow()
    session.add(insight)
    await session.flush()
    return insight


async def delete_insight(session: AsyncSession, ctx: TenantContext, insight_id: str | uuid.UUID) -> None:
    insight = await _insight(session, ctx, insight_id)
    require(ctx, Action.INSIGHT_EDIT, author_id=insight.created_by)
    await session.delete(insight)
    await session.flush()


async def patterns_of(session: AsyncSession, ctx: TenantContext, project_id: uuid.UUID) -> list[PatternView]:
    rows = await session.execute(
        select(ConsolidationPattern, User.name)
        .outerjoin(User, col(User.id) == col(ConsolidationPattern.created_by))
        .where(ConsolidationPattern.project_id == project_id)
        .order_by(col(ConsolidationPattern.updated_at).desc())
        .limit(LIST_MAX)
    )
    return [
        PatternView(
            str(p.id), p.kind, p.title, p.text, author or "someone", len(p.insight_ids or []), p.updated_at,
            ctx.may(Action.INSIGHT_EDIT, author_id=p.created_by),
        )
        for p, author in rows
    ]  # fmt: skip


async def create_pattern(
    session: AsyncSession,
    ctx: TenantContext,
    project_id: str | uuid.UUID,
    *,
    kind: str,
    title: str,
    text: str,
    insight_ids: list[str] | None = None,
) -> ConsolidationPattern:
    """A recurring lesson of the project; ``insight_ids`` (its sources) must be the project's insights."""
    require(ctx, Action.MEMORY_CREATE)
    project = await get_project(session, ctx, project_id)
    if kind not in PatternKind._value2member_map_:
        raise InvalidInput("Choose what kind of pattern it is: a convention, a pitfall or a best practice.")
    sources = [parse_id(i, "Insight") for i in insight_ids or []]
    if sources:
        found = set(
            await session.exec(
                select(WorkflowInsight.id).where(
                    col(WorkflowInsight.id).in_(sources), WorkflowInsight.project_id == project.id
                )
            )
        )
        if found != set(sources):
            raise NotFound("Insight not found.")
    pattern = ConsolidationPattern(
        tenant_id=ctx.tenant_id, project_id=project.id, kind=kind,
        title=required_text(title, "The pattern's title", PATTERN_TITLE_MAX),
        text=required_text(text, "The pattern", PATTERN_TEXT_MAX, kind=TextKind.PROSE),
        insight_ids=[str(i) for i in sources], created_by=ctx.user_id,
    )  # fmt: skip
    session.add(pattern)
    await session.flush()
    return pattern


async def delete_pattern(session: AsyncSession, ctx: TenantContext, pattern_id: str | uuid.UUID) -> None:
    pattern = await session.get(ConsolidationPattern, parse_id(pattern_id, "Pattern"))
    if pattern is None:
        raise NotFound("Pattern not found.")
    require(ctx, Action.INSIGHT_EDIT, author_id=pattern.created_by)
    await session.delete(pattern)
    await session.flush()
