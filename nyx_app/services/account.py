"""The signed-in user's own account: name and e-mail, and their logins (sessions).

Like auth.py this works from the browser's session token, never from an id the browser sends:
a user can only see and end their own logins. Ending the current login logs this browser out
on its next event; ending another ends that browser's login on its next event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.integrations.user_agents import device_label
from nyx_app.models.tenancy import NAME_MAX, AuthSession, User
from nyx_app.services import audit, auth
from nyx_app.services.errors import AuthError, NotFound
from nyx_app.services.validation import Problems, parse_id, required_text

EMAIL_IN_USE = "Another account already uses this e-mail address."


@dataclass(frozen=True, slots=True)
class SessionView:
    id: uuid.UUID
    device: str
    created_at: datetime
    last_seen_at: datetime | None
    current: bool


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    email: str


async def _current(session: AsyncSession, token: str) -> AuthSession:
    current = await auth.active_session(session, token)
    if current is None:
        raise AuthError(auth.SESSION_ENDED)
    return current


async def update_profile(token: str, name: str, email: str) -> Profile:
    """Change the user's name and e-mail; every field is checked before anything is written."""
    problems = Problems()
    checked_name = problems.check("name", required_text, name, "Name", NAME_MAX)
    checked_email = problems.check("email", auth.normalise_email, email)
    async with transaction() as session:
        current = await _current(session, token)
        if checked_email:
            other = await session.exec(select(User.id).where(User.email == checked_email, User.id != current.user_id))
            if other.first() is not None:
                problems.add("email", EMAIL_IN_USE)
        problems.raise_if_any()
        user = await session.get(User, current.user_id)
        assert user is not None and checked_name is not None and checked_email is not None
        if user.email != checked_email:
            await audit.record_for_user(
                session, user.id, audit.AuditAction.EMAIL_CHANGED, details={"from": user.email, "to": checked_email}
            )
        user.name, user.email = checked_name, checked_email
        session.add(user)
        await session.flush()
        return Profile(user.name, user.email)


async def list_sessions(token: str) -> list[SessionView]:
    """The user's logins that still work: this one first, then the most recently used."""
    async with transaction() as session:
        current = await _current(session, token)
        rows = await session.exec(
            select(AuthSession).where(
                AuthSession.user_id == current.user_id,
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > func.now(),
            )
        )
        views = [
            SessionView(s.id, device_label(s.user_agent), s.created_at, s.last_seen_at, s.id == current.id)
            for s in rows
        ]
    return sorted(views, key=lambda v: (not v.current, -(v.last_seen_at or v.created_at).timestamp()))


async def end_other_sessions(token: str) -> int:
    """End every login of the user but this browser's; returns how many ended. Each of those
    browsers is signed out on its next event (auth.resolve reads the session row every time)."""
    async with transaction() as session:
        current = await _current(session, token)
        ended = await session.execute(
            update(AuthSession)
            .where(
                col(AuthSession.user_id) == current.user_id,
                col(AuthSession.id) != current.id,
                col(AuthSession.revoked_at).is_(None),
            )
            .values(revoked_at=utcnow())
        )
        return int(ended.rowcount or 0)  # type: ignore[attr-defined]


async def end_session(token: str, session_id: str | uuid.UUID) -> bool:
    """End one of the user's logins. Returns True when it was this browser's own."""
    target = parse_id(session_id, "Session")
    async with transaction() as session:
        current = await _current(session, token)
        ended = await session.execute(
            update(AuthSession)
            .where(
                col(AuthSession.id) == target,
                col(AuthSession.user_id) == current.user_id,
                col(AuthSession.revoked_at).is_(None),
            )
            .values(revoked_at=utcnow())
        )
        if ended.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound("That login has already ended.")
        await audit.record_for_user(
            session, current.user_id, audit.AuditAction.SESSION_ENDED, details={"how": "ended on the account page"}
        )
        return target == current.id
