"""Discussions of a project: look up, list, rename, delete.

Deleting a discussion deletes its runs too (their messages and steps go by cascade); a run still
answering is told to stop first, so no model keeps writing for a discussion that is gone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUN_CONTROL_CHANNEL, RUNS_CHANNEL, notify
from nyx_app.models.discussion import DISCUSSION_TITLE_MAX, Discussion, DiscussionMessage
from nyx_app.models.run import ACTIVE_RUN_STATUSES, Run, StepRun
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.validation import parse_id, required_text

LIST_LIMIT = 200


@dataclass(frozen=True, slots=True)
class DiscussionSummary:
    id: str
    title: str
    speakers: list[str]
    rounds: int
    answering: bool
    cost_usd: Decimal
    updated_at: datetime


async def get_discussion(
    session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID, *, lock: bool = False
) -> Discussion:
    stmt = select(Discussion).where(Discussion.id == parse_id(discussion_id, "Discussion"))
    found = (await session.exec(stmt.with_for_update() if lock else stmt)).first()
    if found is None:
        raise NotFound("Discussion not found.")
    return found


def runs_of(discussion_id: uuid.UUID) -> Any:
    """The ids of a discussion's runs (its messages point at them)."""
    return select(DiscussionMessage.run_id).where(
        DiscussionMessage.discussion_id == discussion_id, col(DiscussionMessage.run_id).is_not(None)
    )


async def list_discussions(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID
) -> list[DiscussionSummary]:
    project = await get_project(session, ctx, project_id)
    found = list(
        await session.exec(
            select(Discussion)
            .where(Discussion.project_id == project.id)
            .order_by(col(Discussion.updated_at).desc())
            .limit(LIST_LIMIT)
        )
    )
    ids = [d.id for d in found]
    rounds: dict[uuid.UUID, int] = {}
    speakers: dict[uuid.UUID, list[str]] = {}
    for discussion_id, name, round_no in await session.exec(
        select(DiscussionMessage.discussion_id, DiscussionMessage.persona_name, DiscussionMessage.round)
        .where(col(DiscussionMessage.discussion_id).in_(ids))
        .order_by(col(DiscussionMessage.seq))
    ):
        rounds[discussion_id] = max(rounds.get(discussion_id, 0), round_no)
        if name and name not in speakers.setdefault(discussion_id, []):
            speakers[discussion_id].append(name)
    money = (
        select(DiscussionMessage.discussion_id, func.coalesce(func.sum(StepRun.cost_usd), 0))
        .join(
            StepRun,
            (col(StepRun.run_id) == col(DiscussionMessage.run_id))
            & (col(StepRun.key) == col(DiscussionMessage.step_key)),
        )
        .where(col(DiscussionMessage.discussion_id).in_(ids))
        .group_by(col(DiscussionMessage.discussion_id))
    )
    costs = {d: Decimal(c) for d, c in await session.exec(money)}
    busy = (
        select(DiscussionMessage.discussion_id)
        .join(Run, col(Run.id) == col(DiscussionMessage.run_id))
        .where(
            col(DiscussionMessage.discussion_id).in_(ids), col(Run.status).in_([s.value for s in ACTIVE_RUN_STATUSES])
        )
    )
    answering = set(await session.exec(busy))
    return [
        DiscussionSummary(
            str(d.id),
            d.title,
            speakers.get(d.id, []),
            rounds.get(d.id, 0),
            d.id in answering,
            costs.get(d.id, Decimal(0)),
            d.updated_at,
        )
        for d in found
    ]


async def rename_discussion(
    session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID, title: str
) -> Discussion:
    require(ctx, Action.RUN_START)
    discussion = await get_discussion(session, ctx, discussion_id)
    discussion.title = required_text(title, "Title", DISCUSSION_TITLE_MAX)
    discussion.updated_at = utcnow()
    session.add(discussion)
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(discussion.id))
    return discussion


async def delete_discussion(session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID) -> None:
    require(ctx, Action.RUN_START)
    discussion = await get_discussion(session, ctx, discussion_id, lock=True)
    runs = list(await session.exec(select(Run).where(col(Run.id).in_(runs_of(discussion.id)))))
    for run in runs:
        if run.status in {s.value for s in ACTIVE_RUN_STATUSES}:
            # Its worker re-reads the run on this notice, finds it gone, and stops its calls.
            await notify(session, RUN_CONTROL_CHANNEL, str(run.id))
        await notify(session, RUNS_CHANNEL, str(run.id))
    await session.execute(delete(Run).where(col(Run.id).in_([r.id for r in runs])))
    await session.delete(discussion)
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(discussion.id))


def question_title(question: str) -> str:
    """A title from the question's first line, for a discussion the user did not name."""
    first = next((line.strip() for line in question.splitlines() if line.strip()), "Discussion")
    return first if len(first) <= 80 else first[:79].rstrip() + "…"
