"""Reads the public API and the MCP server need beyond what the pages read: lists a page at a time
by cursor (newest first), the workspace search seam, and a project's latest implementation plans.

Single reads and every write go through the existing services (projects, notes, memory, workflows,
runs, reports); only the paging differs from the pages', which load everything a tab shows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, literal, literal_column, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from nyx_app.integrations import markdown
from nyx_app.models.memory import FTS_CONFIG, MemoryEntry, fts_document_sql
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.report import Report
from nyx_app.models.run import NO_ITEM, Run, RunKind, RunStatus, StepRun
from nyx_app.models.workflow import Workflow
from nyx_app.services import memory, pagination
from nyx_app.services.context import TenantContext
from nyx_app.services.knowledge import search as knowledge_search
from nyx_app.services.pagination import Page
from nyx_app.services.projects import get_project
from nyx_app.services.validation import TextKind, optional_text

M = TypeVar("M", bound=SQLModel)
SEARCH_MAX = 50


async def _page(session: AsyncSession, stmt: SelectOfScalar[M], model: Any, cursor: str | None, limit: int) -> Page[M]:
    paged = pagination.after(stmt, col(model.created_at), col(model.id), cursor, limit)
    rows: list[M] = list((await session.exec(paged)).all())  # type: ignore[call-overload]
    return pagination.page_of(rows, limit, lambda r: (r.created_at, r.id))


async def projects(session: AsyncSession, ctx: TenantContext, cursor: str | None, limit: int) -> Page[Project]:
    return await _page(session, select(Project), Project, cursor, limit)


async def project_notes(
    session: AsyncSession, ctx: TenantContext, project_id: str, cursor: str | None, limit: int
) -> Page[ProjectNote]:
    project = await get_project(session, ctx, project_id)
    return await _page(
        session, select(ProjectNote).where(ProjectNote.project_id == project.id), ProjectNote, cursor, limit
    )


async def memory_entries(
    session: AsyncSession,
    ctx: TenantContext,
    *,
    query: str = "",
    tag: str = "",
    project_id: str | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> Page[MemoryEntry]:
    """Entries matching ``query`` (the memory hub's full-text rule) and ``tag``, newest first."""
    query = optional_text(query, "The search", memory.QUERY_MAX, kind=TextKind.PROSE)
    stmt = select(MemoryEntry)
    if project_id:
        stmt = stmt.where(MemoryEntry.project_id == (await get_project(session, ctx, project_id)).id)
    if tag:
        stmt = stmt.where(literal(tag.strip().lower()) == func.any(col(MemoryEntry.tags)))
    if query:
        document: Any = literal_column(fts_document_sql())
        tsquery = func.websearch_to_tsquery(literal_column(f"'{FTS_CONFIG}'::regconfig"), query)
        stmt = stmt.where(or_(document.op("@@")(tsquery), literal(query.lower()) == func.any(col(MemoryEntry.tags))))
    return await _page(session, stmt, MemoryEntry, cursor, limit)


async def workflows(
    session: AsyncSession, ctx: TenantContext, project_id: str, cursor: str | None, limit: int
) -> Page[Workflow]:
    project = await get_project(session, ctx, project_id)
    return await _page(session, select(Workflow).where(Workflow.project_id == project.id), Workflow, cursor, limit)


async def runs(session: AsyncSession, ctx: TenantContext, project_id: str, cursor: str | None, limit: int) -> Page[Run]:
    project = await get_project(session, ctx, project_id)
    return await _page(session, select(Run).where(Run.project_id == project.id), Run, cursor, limit)


async def reports(
    session: AsyncSession, ctx: TenantContext, project_id: str, cursor: str | None, limit: int
) -> Page[Report]:
    project = await get_project(session, ctx, project_id)
    return await _page(session, select(Report).where(Report.project_id == project.id), Report, cursor, limit)


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: str  # a KnowledgeKind: note, memory, insight, run_output, report, policy_passage, ...
    id: uuid.UUID
    project_id: uuid.UUID | None
    title: str
    excerpt: str
    matched_by: str  # words, meaning or both


async def search(ctx: TenantContext, query: str, limit: int = 20) -> list[SearchHit]:
    """The workspace search (services/knowledge/search.py: meaning and words fused), as plain text
    for the API and the MCP ``search`` tool: the match markers are taken out, never turned into
    markup. A run output's hit names its run (the row to open), like the search box."""
    query = " ".join(optional_text(query, "The search", knowledge_search.QUERY_MAX, kind=TextKind.PROSE).split())
    if not query:
        return []
    request = knowledge_search.SearchRequest(query, limit=max(1, min(limit, SEARCH_MAX)))
    found = await knowledge_search.search(ctx, request)

    def plain(marked: str) -> str:
        return marked.replace(found.marks.start, "").replace(found.marks.stop, "")

    return [
        SearchHit(
            h.kind.value,
            h.parent_id or h.item_id,
            h.project_id,
            plain(h.title_marked),
            _excerpt(plain(h.passage_marked)),
            h.matched_by.value,
        )
        for h in found.hits
    ]


def _excerpt(text: str) -> str:
    return markdown.plain_text(text or "", 240)


@dataclass(frozen=True, slots=True)
class PlanItem:
    step: str
    item_index: int | None
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class RunPlans:
    run_id: uuid.UUID
    title: str
    finished_at: str
    plans: list[PlanItem]  # the outputs of fan-out steps: one implementation plan per action point
    prompts: list[PlanItem]  # the outputs of the last steps (nothing depends on them): the prompts


async def latest_plans(
    session: AsyncSession, ctx: TenantContext, project_id: str, runs_wanted: int = 1
) -> list[RunPlans]:
    """The implementation plans and final prompts of the project's latest succeeded workflow runs."""
    project = await get_project(session, ctx, project_id)
    found = await session.exec(
        select(Run)
        .where(
            Run.project_id == project.id, Run.kind == RunKind.WORKFLOW.value, Run.status == RunStatus.SUCCEEDED.value
        )
        .order_by(col(Run.finished_at).desc().nulls_last(), col(Run.created_at).desc())
        .limit(max(1, min(runs_wanted, 10)))
    )
    result = []
    for run in found:
        steps = run.definition.get("steps", [])
        fan_out = {s["key"] for s in steps if s.get("for_each")}
        needed = {d for s in steps for d in [*s.get("depends_on", []), s.get("for_each") or ""]}
        last = [s["key"] for s in steps if s["key"] not in needed]
        rows = list(
            await session.exec(
                select(StepRun).where(StepRun.run_id == run.id).order_by(col(StepRun.key), col(StepRun.item_index))
            )
        )
        plans = [
            PlanItem(r.key, r.item_index, r.label, r.output)
            for r in rows
            if r.key in fan_out and r.item_index != NO_ITEM and r.output
        ]
        prompts = [
            PlanItem(r.key, None, "", r.output) for r in rows if r.key in last and r.item_index == NO_ITEM and r.output
        ]
        result.append(
            RunPlans(run.id, run.title, run.finished_at.isoformat() if run.finished_at else "", plans, prompts)
        )
    return result
