"""What happened in a project, as text for a model to write about: workflow runs (steps, costs,
failures, the last answer), notes, memory entries and discussions, optionally within a period.

Each part has a budget in characters, so a busy project still makes a prompt of bounded size;
what is left out is said, not silently dropped. Everything here is other people's text: the
writers put it into prompts only through ``templates.literal``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.discussion import Discussion, MessageKind
from nyx_app.models.memory import MemoryEntry
from nyx_app.models.project import ProjectNote
from nyx_app.models.run import NO_ITEM, Run, RunKind, StepRun, StepStatus
from nyx_app.services.discussions.prompts import transcript
from nyx_app.services.discussions.turns import transcript_turns
from nyx_app.services.errors import InvalidInput
from nyx_app.services.reports.text import money, when

PERIOD_DAYS_MAX = 366
BUDGETS = {"runs": 11_000, "notes": 9_000, "memory": 5_000, "discussions": 7_000}
RUNS_MAX, ITEMS_MAX = 40, 60
OUTPUT_PREVIEW = 1_200
NOTE_CHARS, MEMORY_CHARS, DISCUSSION_CHARS = 2_500, 1_500, 3_000


@dataclass(frozen=True, slots=True)
class Period:
    since: date
    until: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=UTC)

    def text(self) -> str:
        return f"{self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}"


def parse_period(since: str, until: str) -> Period:
    try:
        start, end = date.fromisoformat(since.strip()), date.fromisoformat(until.strip())
    except ValueError:
        raise InvalidInput("Choose the period with two dates (from and to).") from None
    if start > end:
        raise InvalidInput("The period starts after it ends; swap the dates.")
    if (end - start).days >= PERIOD_DAYS_MAX:
        raise InvalidInput(f"Choose a period of at most {PERIOD_DAYS_MAX} days.")
    return Period(start, end)


@dataclass
class Activity:
    runs: list[str]
    notes: list[str]
    memory: list[str]
    discussions: list[str]

    @property
    def empty(self) -> bool:
        return not (self.runs or self.notes or self.memory or self.discussions)

    def section(self, name: str) -> str:
        blocks: list[str] = getattr(self, name)
        return _within(blocks, BUDGETS[name]) if blocks else "(nothing)"


def _within(blocks: list[str], budget: int) -> str:
    kept: list[str] = []
    used = 0
    for block in blocks:
        if used + len(block) > budget and kept:
            kept.append(f"[… {len(blocks) - len(kept)} more left out to keep this short]")
            break
        kept.append(block[:budget])
        used += len(block) + 2
    return "\n\n".join(kept)


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " […]"


def _in(column: Any, period: Period | None) -> list[ColumnElement[bool]]:
    return [] if period is None else [col(column) >= period.start, col(column) < period.end]


async def _runs(session: AsyncSession, project_id: uuid.UUID, period: Period | None) -> list[str]:
    runs = list(
        await session.exec(
            select(Run)
            .where(Run.project_id == project_id, Run.kind == RunKind.WORKFLOW.value, *_in(Run.created_at, period))
            .order_by(col(Run.created_at))
            .limit(RUNS_MAX)
        )
    )
    if not runs:
        return []
    steps = list(
        await session.exec(
            select(StepRun)
            .where(col(StepRun.run_id).in_([r.id for r in runs]))
            .order_by(col(StepRun.started_at), col(StepRun.item_index))
        )
    )
    blocks = []
    for run in runs:
        mine = [s for s in steps if s.run_id == run.id]
        cost = sum((s.cost_usd for s in mine), Decimal(0))
        lines = [f"### Run “{run.title}”: {run.status}, started {when(run.created_at)}, cost {money(cost)}"]
        if run.error:
            lines.append(f"Run error: {_cut(run.error, 300)}")
        parents = [s for s in mine if s.item_index == NO_ITEM]
        for s in parents:
            items = [i for i in mine if i.key == s.key and i.item_index != NO_ITEM]
            extra = f", {len(items)} items" if items else ""
            failure = f" — {_cut(s.error, 200)}" if s.error else ""
            lines.append(f"- step {s.key}: {s.status}{extra}{failure}")
        last = next((s for s in reversed(parents) if s.status == StepStatus.SUCCEEDED.value and s.output), None)
        if last is not None:
            lines.append(f"Last answer ({last.key}):\n{_cut(last.output, OUTPUT_PREVIEW)}")
        blocks.append("\n".join(lines))
    return blocks


async def _notes(session: AsyncSession, project_id: uuid.UUID, period: Period | None) -> list[str]:
    where = [] if period is None else [or_(*_both(ProjectNote.created_at, ProjectNote.updated_at, period))]
    notes = await session.exec(
        select(ProjectNote).where(ProjectNote.project_id == project_id, *where).order_by(col(ProjectNote.created_at))
    )
    return [f"### Note “{n.title}” (updated {when(n.updated_at)})\n{_cut(n.content, NOTE_CHARS)}" for n in notes]


def _both(created: Any, updated: Any, period: Period) -> Iterable[ColumnElement[bool]]:
    for column in (created, updated):
        yield (col(column) >= period.start) & (col(column) < period.end)


async def _memory(session: AsyncSession, project_id: uuid.UUID, period: Period | None) -> list[str]:
    mine = or_(col(MemoryEntry.project_id) == project_id, col(MemoryEntry.project_id).is_(None))
    entries = await session.exec(
        select(MemoryEntry)
        .where(mine, *_in(MemoryEntry.updated_at, period))
        .order_by(col(MemoryEntry.updated_at).desc())
        .limit(50)
    )
    return [f"### Memory “{m.title}” ({', '.join(m.tags)})\n{_cut(m.content, MEMORY_CHARS)}" for m in entries]


async def _discussions(session: AsyncSession, project_id: uuid.UUID, period: Period | None) -> list[str]:
    found = await session.exec(
        select(Discussion)
        .where(Discussion.project_id == project_id, *_in(Discussion.updated_at, period))
        .order_by(col(Discussion.updated_at))
        .limit(20)
    )
    blocks = []
    for d in found:
        turns = await transcript_turns(session, d.id)
        # Questions and conclusions carry the thread; individual answers are cut short first.
        kept = [t for t in turns if t.kind != MessageKind.ANSWER] or turns
        blocks.append(f"### Discussion “{d.title}”\n{_cut(transcript(kept), DISCUSSION_CHARS)}")
    return blocks


async def project_activity(session: AsyncSession, project_id: uuid.UUID, period: Period | None = None) -> Activity:
    return Activity(
        runs=await _runs(session, project_id, period),
        notes=await _notes(session, project_id, period),
        memory=await _memory(session, project_id, period),
        discussions=await _discussions(session, project_id, period),
    )
