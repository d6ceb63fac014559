"""The project overview report: notes (with their image thumbnails), memory entries, recent runs
with their cost, and a Mermaid diagram of each workflow. Built from the rows, no model involved.

Notes and memory entries are the users' own Markdown and go in as written, their headings shifted
under the report's; names and titles go in through ``text.inline`` so they stay plain text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.memory import MemoryEntry
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.run import Run, RunStatus, StepRun
from nyx_app.models.tenancy import User
from nyx_app.models.workflow import Workflow
from nyx_app.services.reports.text import demote, duration, fence, inline, mermaid_label, money, table, when
from nyx_app.services.workflows.definition import StepKind, WorkflowDefinition
from nyx_app.services.workflows.validate import needs

RECENT_RUNS = 20
MEMORY_MAX = 50
WORKFLOWS_MAX = 12
# The image route of api/images.py (above us; integrations/markdown.py repeats it the same way).
THUMB = "/api/images/{}/thumb"


@dataclass(frozen=True, slots=True)
class Built:
    title: str
    markdown: str
    data: dict[str, Any]


def workflow_diagram(definition: WorkflowDefinition) -> str:
    """A left-to-right flowchart: a box per step, a diamond per review, an arrow per dependency and
    a dotted "each item" arrow per fan-out. Step names are user text: they go in as entity codes."""
    lines = ["flowchart LR"]
    keys = {s.key for s in definition.steps}
    for step in definition.steps:
        # Prefixed: a step called "end" or "graph" would otherwise be a Mermaid keyword.
        node, label = f"s_{step.key}", mermaid_label(step.title)
        lines.append(f'  {node}{{"{label}"}}' if step.kind == StepKind.REVIEW else f'  {node}["{label}"]')
    for step in definition.steps:
        for before in needs(step):
            if before not in keys:
                continue
            arrow = " -. each item .-> " if before == step.for_each else " --> "
            lines.append(f"  s_{before}{arrow}s_{step.key}")
    return fence("\n".join(lines), "mermaid")


async def _notes(session: AsyncSession, project_id: uuid.UUID) -> list[str]:
    notes = list(
        await session.exec(
            select(ProjectNote).where(ProjectNote.project_id == project_id).order_by(col(ProjectNote.created_at))
        )
    )
    images = list(
        await session.exec(
            select(NoteImage)
            .where(col(NoteImage.note_id).in_([n.id for n in notes]))
            .order_by(col(NoteImage.sort_order), col(NoteImage.created_at))
        )
    )
    blocks = []
    for note in notes:
        parts = [f"### {inline(note.title)}", f"*Updated {when(note.updated_at)}*"]
        if note.content.strip():
            parts.append(demote(note.content.strip(), 3))
        mine = [i for i in images if i.note_id == note.id]
        if mine:
            thumbs = " ".join(f"![{inline(i.description or 'image', 80)}]({THUMB.format(i.id)})" for i in mine)
            captions = [f"{n}. {inline(i.description or '(no description)', 200)}" for n, i in enumerate(mine, 1)]
            parts += [f"**Images ({len(mine)})**", thumbs, "\n".join(captions)]
        blocks.append("\n\n".join(parts))
    return blocks


async def _memory(session: AsyncSession, project_id: uuid.UUID) -> list[str]:
    entries = await session.exec(
        select(MemoryEntry)
        .where(or_(col(MemoryEntry.project_id) == project_id, col(MemoryEntry.project_id).is_(None)))
        .order_by(col(MemoryEntry.updated_at).desc())
        .limit(MEMORY_MAX)
    )
    blocks = []
    for m in entries:
        scope = "this project" if m.project_id else "the whole workspace"
        tags = ", ".join(f"`{t}`" for t in m.tags) or "no tags"
        head = f"### {inline(m.title)}\n\n*For {scope}; {tags}; updated {when(m.updated_at)}*"
        blocks.append(head + (f"\n\n{demote(m.content.strip(), 3)}" if m.content.strip() else ""))
    return blocks


async def _runs(session: AsyncSession, project_id: uuid.UUID) -> tuple[str, Decimal]:
    totals = (
        select(
            StepRun.run_id,
            func.sum(StepRun.tokens_in + StepRun.tokens_out).label("tokens"),
            func.sum(StepRun.cost_usd).label("cost"),
        )
        .group_by(col(StepRun.run_id))
        .subquery()
    )
    rows = list(
        await session.execute(
            select(Run, User.name, totals.c.tokens, totals.c.cost)
            .outerjoin(User, col(User.id) == col(Run.started_by))
            .outerjoin(totals, totals.c.run_id == col(Run.id))
            .where(Run.project_id == project_id)
            .order_by(col(Run.created_at).desc())
            .limit(RECENT_RUNS)
        )
    )
    if not rows:
        return "No runs yet.", Decimal(0)
    body = []
    total = Decimal(0)
    for run, name, tokens, cost in rows:
        total += Decimal(cost or 0)
        end = run.finished_at or (None if RunStatus(run.status).finished else utcnow())
        took = (end - run.started_at).total_seconds() if run.started_at and end else None
        body.append(
            [
                inline(run.title, 80),
                run.kind,
                run.status,
                inline(name or "someone"),
                when(run.created_at),
                duration(took),
                f"{int(tokens or 0):,}",
                money(cost or 0),
            ]
        )
    header = ["Run", "Kind", "Status", "Started by", "Started", "Duration", "Tokens", "Cost"]
    return table(header, body), total


async def _workflows(session: AsyncSession, project_id: uuid.UUID) -> list[str]:
    workflows = await session.exec(
        select(Workflow).where(Workflow.project_id == project_id).order_by(col(Workflow.name)).limit(WORKFLOWS_MAX)
    )
    blocks = []
    for w in workflows:
        try:
            definition = WorkflowDefinition.model_validate(w.definition)
        except ValueError:
            continue
        parts = [f"### {inline(w.name)}"]
        if w.description.strip():
            parts.append(inline(w.description))
        if definition.steps:
            parts.append(workflow_diagram(definition))
        blocks.append("\n\n".join(parts))
    return blocks


async def build_overview(session: AsyncSession, project: Project, author: str) -> Built:
    notes = await _notes(session, project.id)
    memory = await _memory(session, project.id)
    runs, total = await _runs(session, project.id)
    workflows = await _workflows(session, project.id)
    parts = [f"# Project overview: {inline(project.name)}"]
    if project.description.strip():
        parts.append(inline(project.description))
    parts.append(
        f"*Made {when(utcnow())} by {inline(author)}. {len(notes)} notes, {len(memory)} memory entries, "
        f"{len(workflows)} workflows; the recent runs below cost {money(total)}.*"
    )
    parts += ["## Notes", *(notes or ["No notes yet."])]
    parts += ["## Memory entries", *(memory or ["No memory entries yet."])]
    parts += [f"## Recent runs (last {RECENT_RUNS})", runs, f"**Total cost of these runs: {money(total)}**"]
    parts += ["## Workflows", *(workflows or ["No workflows yet."])]
    markdown = "\n\n".join(parts) + "\n"
    data = {"notes": len(notes), "memory_entries": len(memory), "workflows": len(workflows)}
    return Built(f"Project overview: {project.name}", markdown, data)
