"""Telling people what needs them: a review waiting, a run finished or failed, a report ready, an
invitation accepted. One row per recipient, written in the transaction of the change it tells of
(a run's last write, an invitation's acceptance), with a NOTIFY on ``NOTIFICATIONS_CHANNEL`` (the
recipient's id) that the header bell of each of their tabs watches.

Whom it reaches: a run's events go to the person who started it, an accepted invitation to the
person who sent it, and only if they are still a member of the workspace and have not muted that
kind. Reading shows a person only their own rows of the current workspace (RLS keeps every other
workspace out) and only while they are a member; rows about a deleted project go with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import NOTIFICATIONS_CHANNEL, notify
from nyx_app.models.notification import NOTIFICATION_TITLE_MAX, Notification, NotificationKind, NotificationSetting
from nyx_app.models.run import REPORT_KINDS, Run, RunKind, RunStatus
from nyx_app.models.tenancy import Membership
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput

LIST_LIMIT = 30

KIND_LABELS = {
    NotificationKind.REVIEW_WAITING: "A review is waiting",
    NotificationKind.RUN_FINISHED: "A run finished",
    NotificationKind.RUN_FAILED: "A run failed",
    NotificationKind.REPORT_READY: "A report is ready",
    NotificationKind.INVITATION_ACCEPTED: "An invitation was accepted",
}


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: str
    kind: str
    title: str
    project_id: str
    run_id: str
    created_at: datetime
    read: bool


@dataclass(frozen=True, slots=True)
class Settings:
    muted: list[str]
    browser: bool


async def tell(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    kind: NotificationKind,
    title: str,
    project_id: uuid.UUID | None = None,
    run_id: uuid.UUID | None = None,
) -> bool:
    """Write one notification for ``user_id`` (in the caller's transaction) unless they are no
    longer a member or muted ``kind``; True if written."""
    if user_id is None:
        return False
    member = await session.exec(
        select(Membership.id).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    )
    if member.first() is None:
        return False
    muted = await session.exec(
        select(NotificationSetting.muted).where(
            NotificationSetting.tenant_id == tenant_id, NotificationSetting.user_id == user_id
        )
    )
    if kind.value in (muted.first() or []):
        return False
    session.add(
        Notification(
            tenant_id=tenant_id,
            user_id=user_id,
            kind=kind.value,
            title=title[:NOTIFICATION_TITLE_MAX],
            project_id=project_id,
            run_id=run_id,
        )
    )
    await session.flush()
    await notify(session, NOTIFICATIONS_CHANNEL, str(user_id))
    return True


async def run_changed(session: AsyncSession, run_id: uuid.UUID, status: RunStatus) -> None:
    """A run reached ``status``: tell the person who started it, if the status is one worth it."""
    run = await session.get(Run, run_id)
    if run is None:
        return
    if status == RunStatus.WAITING:
        kind, title = NotificationKind.REVIEW_WAITING, f"“{run.title}” is waiting for your review"
    elif status == RunStatus.FAILED:
        kind, title = NotificationKind.RUN_FAILED, f"“{run.title}” failed"
    elif status == RunStatus.SUCCEEDED and RunKind(run.kind) in REPORT_KINDS:
        kind, title = NotificationKind.REPORT_READY, f"“{run.title}” is ready"
    elif status == RunStatus.SUCCEEDED:
        kind, title = NotificationKind.RUN_FINISHED, f"“{run.title}” finished"
    else:
        return
    await tell(session, run.tenant_id, run.started_by, kind, title, run.project_id, run.id)


async def _mine(session: AsyncSession, ctx: TenantContext) -> Any:
    """This person's notifications of this workspace, while they are a member."""
    member = select(Membership.id).where(Membership.tenant_id == ctx.tenant_id, Membership.user_id == ctx.user_id)
    return (col(Notification.user_id) == ctx.user_id) & member.exists()


async def unread_count(session: AsyncSession, ctx: TenantContext) -> int:
    mine = await _mine(session, ctx)
    query = select(func.count()).select_from(Notification).where(mine, col(Notification.read_at).is_(None))
    return int((await session.exec(query)).one())


async def recent(session: AsyncSession, ctx: TenantContext, limit: int = LIST_LIMIT) -> list[NotificationView]:
    mine = await _mine(session, ctx)
    rows = await session.exec(
        select(Notification).where(mine).order_by(col(Notification.created_at).desc()).limit(limit)
    )
    return [
        NotificationView(
            str(n.id),
            n.kind,
            n.title,
            str(n.project_id or ""),
            str(n.run_id or ""),
            n.created_at,
            n.read_at is not None,
        )
        for n in rows
    ]


async def mark_all_read(session: AsyncSession, ctx: TenantContext) -> None:
    await session.execute(
        update(Notification)
        .where(col(Notification.user_id) == ctx.user_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    await notify(session, NOTIFICATIONS_CHANNEL, str(ctx.user_id))  # the person's other tabs too


async def get_settings(session: AsyncSession, ctx: TenantContext) -> Settings:
    row = (await session.exec(select(NotificationSetting).where(NotificationSetting.user_id == ctx.user_id))).first()
    return Settings(list(row.muted), row.browser) if row else Settings([], True)


async def save_settings(session: AsyncSession, ctx: TenantContext, muted: list[str], browser: bool) -> Settings:
    unknown = [k for k in muted if k not in NotificationKind._value2member_map_]
    if unknown:
        raise InvalidInput("Unknown kind of notification: " + ", ".join(unknown[:3]))
    row = (await session.exec(select(NotificationSetting).where(NotificationSetting.user_id == ctx.user_id))).first()
    row = row or NotificationSetting(tenant_id=ctx.tenant_id, user_id=ctx.user_id)
    row.muted, row.browser = sorted(set(muted)), browser
    session.add(row)
    await session.flush()
    return Settings(list(row.muted), row.browser)
