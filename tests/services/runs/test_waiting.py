"""A run nothing runs says so on its page: "waiting for a worker since …" when its worker stopped
beating, or when it is queued and no worker is alive; nothing while a worker has it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunStatus
from nyx_app.pages.run_rows import header
from nyx_app.services.runs import views
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import start, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


async def _workers(*heartbeat_ages_s: float) -> None:
    async with transaction() as s:
        await s.execute(text("DELETE FROM procrastinate_workers"))
        for age in heartbeat_ages_s:
            await s.execute(
                text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - make_interval(secs => :a))"),
                {"a": age},
            )


async def test_the_page_says_since_when_no_worker_runs_the_run(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))

    async def view() -> views.RunView:
        async with transaction(ws.ctx.tenant_id) as s:
            return await views.run_view(s, ws.ctx, run_id)

    await _workers(0.5)
    assert (await view()).waiting_since is None  # queued, and a worker is alive to take it
    await _workers(120)
    queued = await view()
    assert queued.waiting_since is not None and utcnow() - queued.waiting_since < timedelta(minutes=1)
    assert header(queued).waiting.startswith("Waiting for a worker since ")

    beat = utcnow() - timedelta(seconds=3)
    async with transaction(ws.ctx.tenant_id) as s:
        await s.execute(update(Run).where(Run.id == run_id).values(status=RunStatus.RUNNING.value, heartbeat_at=beat))
    assert (await view()).waiting_since is None  # running, beating
    silent = utcnow() - timedelta(minutes=2)
    async with transaction(ws.ctx.tenant_id) as s:
        await s.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=silent))
    assert (await view()).waiting_since == silent  # its worker died or froze
    async with transaction(ws.ctx.tenant_id) as s:
        await s.execute(update(Run).where(Run.id == run_id).values(status=RunStatus.FAILED.value))
    assert header(await view()).waiting == ""  # a finished run waits for nothing
