"""The web app's own job worker, as a child process it supervises.

A worker inside the web process shared its event loop with every page (a run's CPU was the pages'
latency), and a worker that crashed or was killed took the web app down with it. Here it is
``python -m nyx_app.cli worker`` started by the web process: when it exits for any reason, the
crash is logged and another is started (1 s, 2 s, … up to 30 s apart; after a minute of work the
wait starts again at 1 s), and the web app keeps serving meanwhile. It ends with the web process:
at shutdown it gets SIGTERM and its graceful timeout (then SIGKILL), and if the web process is
killed the kernel sends it SIGTERM (``lifetime.die_with_parent``, asked for by ``--parent-pid``),
so no worker outlives its app. Its runs survive restarts like any worker's (the sweeper).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator

from nyx_app.settings import ROOT_DIR, get_settings

log = logging.getLogger(__name__)

FIRST_WAIT_S, LONGEST_WAIT_S = 1.0, 30.0
STEADY_S = 60.0


class Supervisor:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def command(self) -> list[str]:
        return [sys.executable, "-m", "nyx_app.cli", "worker", "--parent-pid", str(os.getpid())]

    async def run(self) -> None:
        """Keep one worker running until cancelled; then stop it."""
        wait = FIRST_WAIT_S
        try:
            while True:
                started = time.monotonic()
                # Started from the event loop's thread, which lives as long as the process: the
                # worker's "parent died" signal fires when the process ends, not before.
                self.process = await asyncio.create_subprocess_exec(*self.command(), cwd=ROOT_DIR)
                self.starts += 1
                log.info("started the job worker (pid %d)", self.process.pid)
                code = await self.process.wait()
                if time.monotonic() - started > STEADY_S:
                    wait = FIRST_WAIT_S
                log.error(
                    "the job worker (pid %d) ended with %s; starting another in %.0f s",
                    self.process.pid,
                    f"signal {-code}" if code < 0 else f"exit code {code}",
                    wait,
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT_S)
        finally:
            await self.stop()

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.terminate()  # procrastinate's graceful shutdown: its jobs are aborted and resume elsewhere
        try:
            await asyncio.wait_for(process.wait(), get_settings().worker_shutdown_seconds + 1)
        except TimeoutError:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def supervised_worker() -> AsyncIterator[Supervisor]:
    """Lifespan task of the web app: a supervised worker process for as long as the app runs."""
    supervisor = Supervisor()
    task = asyncio.create_task(supervisor.run(), name="nyx-worker-supervisor")
    try:
        yield supervisor
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
