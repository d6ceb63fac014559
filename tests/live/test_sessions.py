"""Who is watching, remembered between reads: forgotten when a login ends or a membership
changes in any process (database triggers notify), never while nothing changed."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, update
from sqlmodel import col

from nyx_app.db.notify import SESSIONS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live import sessions as live_sessions
from nyx_app.live.hub import hub
from nyx_app.models.tenancy import AuthSession
from nyx_app.services import auth, members
from nyx_app.services.context import TenantContext

PASSWORD = "violet-harbor-kite-91"


async def _register(name: str) -> str:
    return await auth.register(f"{name}{time.time_ns()}@example.com", PASSWORD, name, f"{name}'s workspace")


async def _until_version_moves(before: int) -> None:
    for _ in range(100):
        if hub().version(SESSIONS_CHANNEL, "") != before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the sessions channel did not speak")


class CountingResolve:
    def __init__(self) -> None:
        self.calls = 0
        self.real = auth.resolve

    async def __call__(self, token: str) -> auth.Identity | None:
        self.calls += 1
        return await self.real(token)


async def test_a_logout_elsewhere_is_noticed_and_nothing_else_reads_again(database: None, monkeypatch) -> None:
    counting = CountingResolve()
    monkeypatch.setattr(live_sessions.auth, "resolve", counting)
    known = live_sessions.Sessions()
    token = await _register("Ada")
    async with known.watching():
        await asyncio.wait_for(hub().connected.wait(), 5)
        quiet = hub().version(SESSIONS_CHANNEL, "")
        first = await known.resolve(token)
        assert first is not None
        # What resolve writes once a minute (last_seen_at) is no change of who is signed in.
        async with transaction(user_id=first.user_id) as s:
            written = await s.execute(
                update(AuthSession)
                .where(col(AuthSession.token_hash) == auth.token_hash(token))
                .values(last_seen_at=func.now())
            )
            assert written.rowcount == 1  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)  # time for a notification, had the write sent one
        assert hub().version(SESSIONS_CHANNEL, "") == quiet
        assert await known.resolve(token) == first
        assert await known.resolve(token) == first
        assert counting.calls == 1  # remembered

        before = hub().version(SESSIONS_CHANNEL, "")
        await auth.logout(token)  # as another tab or process would
        await _until_version_moves(before)
        assert await known.resolve(token) is None
        assert counting.calls == 2


async def test_a_role_change_or_removal_is_noticed(database: None) -> None:
    known = live_sessions.Sessions()
    owner_token, member_token = await _register("Owner"), await _register("Member")
    owner, member = await auth.resolve(owner_token), await auth.resolve(member_token)
    assert owner is not None and member is not None
    ctx = TenantContext(owner.tenant_id, owner.user_id, owner.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        await members.add_member(s, ctx, member.email, PASSWORD, "Member", "member")
    await auth.switch_tenant(member_token, owner.tenant_id)
    async with known.watching():
        await asyncio.wait_for(hub().connected.wait(), 5)
        seen = await known.resolve(member_token)
        assert seen is not None and (seen.tenant_id, seen.role) == (owner.tenant_id, "member")

        before = hub().version(SESSIONS_CHANNEL, "")
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            await members.change_role(s, ctx, member.user_id, "admin")
        await _until_version_moves(before)
        seen = await known.resolve(member_token)
        assert seen is not None and seen.role == "admin"

        before = hub().version(SESSIONS_CHANNEL, "")
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            await members.remove_member(s, ctx, member.user_id)
        await _until_version_moves(before)
        seen = await known.resolve(member_token)
        assert seen is not None and seen.tenant_id == member.tenant_id  # back in their own workspace


async def test_what_is_remembered_expires(database: None, monkeypatch) -> None:
    counting = CountingResolve()
    monkeypatch.setattr(live_sessions.auth, "resolve", counting)
    known = live_sessions.Sessions(keep_s=0.05)
    token = await _register("Eve")
    async with known.watching():
        await known.resolve(token)
        await asyncio.sleep(0.1)
        await known.resolve(token)
    assert counting.calls == 2
