"""The app's pool pings a connection only when it sat idle, and replaces one that died meanwhile."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, make_url, text

from nyx_app.db import engine as engines
from nyx_app.db.session import transaction
from nyx_app.db.urls import admin_url
from nyx_app.settings import get_settings


def _cut(pid: int) -> None:
    """What a database restart does to a connection idle in the pool."""
    superuser = create_engine(make_url(admin_url()).set(database=get_settings().database_name))
    try:
        with superuser.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        superuser.dispose()


async def _backend_pid() -> int:
    async with transaction() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_cut_while_idle_is_replaced_before_use(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "PING_IF_IDLE_SECONDS", 0.0)  # every checkout counts as idle
    await engines.app_engine().dispose()  # an empty pool: the next transaction's connection is the only one
    before = await _backend_pid()
    _cut(before)

    after = await _backend_pid()  # no error: the dead connection was pinged and replaced

    assert after != before


async def test_a_connection_used_a_moment_ago_is_not_pinged(database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pings: list[object] = []
    dialect = engines.app_engine().sync_engine.dialect
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn))
    await _backend_pid()
    pings.clear()

    for _ in range(5):
        await _backend_pid()

    assert pings == []
