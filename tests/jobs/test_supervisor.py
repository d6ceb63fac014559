"""The web app's worker is a supervised child process: killed, it is started again and runs go on;
its parent killed, it ends too, and so do the image workers (no process is left behind)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.jobs.supervisor import Supervisor
from nyx_app.models.run import RunStatus
from nyx_app.settings import ROOT_DIR
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, answer
from tests.jobs.workers import FAST
from tests.runs_helpers import load_run, start, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


async def until(predicate, timeout: float = 180.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := await predicate()):
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.1)
    return value


async def _workers_alive() -> int:
    async with transaction() as s:
        alive = await s.execute(
            text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '3 seconds'")
        )
        return int(alive.scalar_one())


async def test_a_killed_worker_is_started_again_and_the_runs_go_on(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)  # the child reads them; this process does not
    supervisor = Supervisor()
    supervising = asyncio.create_task(supervisor.run())
    try:
        await until(_workers_alive)
        first = supervisor.process
        assert first is not None
        first.send_signal(signal.SIGKILL)

        async def replaced() -> bool:
            return supervisor.process is not first and supervisor.process is not None

        await until(replaced)
        assert supervisor.starts == 2 and first.returncode == -signal.SIGKILL
        ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the run
        fake_llm.script("claude-sonnet-4-6", then=answer("done"))
        run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))

        async def finished() -> bool:
            return RunStatus((await load_run(ws, run_id)).status).finished

        await until(finished)
        assert (await load_run(ws, run_id)).status == RunStatus.SUCCEEDED
    finally:
        supervising.cancel()
        await asyncio.gather(supervising, return_exceptions=True)
    assert supervisor.process is not None and supervisor.process.returncode is not None  # stopped with it


PARENT = """
import asyncio
from nyx_app.integrations.images import image_workers
from nyx_app.jobs.supervisor import supervised_worker

async def main():
    async with image_workers(), supervised_worker() as supervisor:
        while supervisor.process is None:
            await asyncio.sleep(0.05)
        print(supervisor.process.pid, flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


def test_the_worker_and_the_image_workers_end_when_their_parent_is_killed(database: None) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        cwd=ROOT_DIR,
        env={**os.environ, **FAST},
        stdout=subprocess.PIPE,
    )
    try:
        assert parent.stdout is not None
        worker_pid = int(parent.stdout.readline())
        helpers = psutil.Process(parent.pid).children(recursive=True)
        assert worker_pid in {h.pid for h in helpers} and len(helpers) >= 3  # worker, image pool, its tracker
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)

        _, alive = psutil.wait_procs(helpers, timeout=60)
        assert alive == [], [(p.pid, p.cmdline()) for p in alive]
    finally:
        if parent.poll() is None:
            parent.kill()
