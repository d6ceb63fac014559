"""The live hub: one LISTEN connection, watchers woken by commits of any process, and every
watcher woken again after the connection was lost (they re-read what they missed)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.session import transaction
from nyx_app.db.urls import admin_url
from nyx_app.live.hub import Hub
from nyx_app.settings import get_settings


async def _notify(key: str, *, commit: bool = True) -> None:
    try:
        async with transaction() as s:
            await notify(s, RUNS_CHANNEL, key)
            if not commit:
                raise RuntimeError("rolled back")
    except RuntimeError:
        pass


async def test_watchers_of_a_key_wake_on_commit_and_only_then(database: None) -> None:
    hub = Hub()
    try:
        async with (
            hub.watch(RUNS_CHANNEL, "run-1") as one,
            hub.watch(RUNS_CHANNEL, "run-1") as two,
            hub.watch(RUNS_CHANNEL, "run-2") as other,
        ):
            for event in (one, two, other):
                event.clear()  # the first connect wakes everyone once
            await _notify("run-1", commit=False)
            await _notify("run-1")
            await asyncio.wait_for(asyncio.gather(one.wait(), two.wait()), 5)
            assert not other.is_set()
    finally:
        await hub.close()


async def test_a_lost_connection_reconnects_and_wakes_every_watcher(database: None) -> None:
    hub = Hub()
    superuser = create_engine(make_url(admin_url()).set(database=get_settings().database_name))
    try:
        async with hub.watch(RUNS_CHANNEL, "run-1") as event:
            event.clear()
            with superuser.begin() as conn:
                killed = conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
                ).all()
            assert killed
            await asyncio.wait_for(event.wait(), 10)  # woken by the reconnect, not by a notify
            event.clear()
            await _notify("run-1")
            await asyncio.wait_for(event.wait(), 5)  # and listening again
    finally:
        superuser.dispose()
        await hub.close()


@pytest.fixture(autouse=True)
def _db(db: None) -> None:
    return None


async def test_a_keys_version_changes_with_its_notifications_only(database: None) -> None:
    hub = Hub()
    try:
        async with hub.watch(RUNS_CHANNEL, "run-1") as mine, hub.watch(RUNS_CHANNEL, "run-2") as other:
            mine.clear()
            other.clear()
            before = hub.version(RUNS_CHANNEL, "run-1")
            await _notify("run-2")
            await asyncio.wait_for(other.wait(), 5)
            assert hub.version(RUNS_CHANNEL, "run-1") == before  # a read of run-1 may still be shared
            await _notify("run-1")
            await asyncio.wait_for(mine.wait(), 5)
            assert hub.version(RUNS_CHANNEL, "run-1") != before
    finally:
        await hub.close()
