"""NOTIFY inside the caller's transaction: PostgreSQL delivers it when (and only if) it commits."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

# A run's state changed (payload: the run id). Pages watching it re-read it from the database.
RUNS_CHANNEL = "nyx_runs"
# Someone asked a run to stop (payload: the run id). The worker executing it cancels its calls.
RUN_CONTROL_CHANNEL = "nyx_run_control"
# A login or a membership changed (payload empty). Sent by triggers (migration 0012), not by code:
# watchers that remember who is watching forget it.
SESSIONS_CHANNEL = "nyx_sessions"
# Someone was told something (payload: the user id). Their header bells re-read their count.
NOTIFICATIONS_CHANNEL = "nyx_notifications"

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


async def notify(session: AsyncSession, channel: str, payload: str) -> None:
    await session.execute(_NOTIFY, {"channel": channel, "payload": payload})
