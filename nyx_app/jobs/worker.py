"""Running workers: beside the web app (``./scripts/run``) or on their own (``cli worker``).

The web app's own worker is a child process it supervises (``supervisor.py``), unless
``NYX_WORKER_SUPERVISED=false`` puts it on the web process's event loop as a task (no restart).

Each worker also sweeps (``sweepers.sweep_runs``): runs of workers that stopped beating go to the
live ones, and the engine's sweeper settles runs left behind (services/engine/sweeper.py). It
sweeps once at start-up, so runs interrupted by a restart resume at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from nyx_app.integrations import llm, pdf
from nyx_app.jobs import tasks, webhook_tasks  # noqa: F401  (registers the task functions)
from nyx_app.jobs.queue import proc_app
from nyx_app.jobs.supervisor import supervised_worker
from nyx_app.jobs.sweepers import sweep_runs
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)


async def run_worker(*, in_web_process: bool) -> None:
    """Work until cancelled. In the web process procrastinate must not install signal handlers
    (it would swallow SIGTERM and the server would never stop), and the web app sweeps already."""
    settings = get_settings()
    await asyncio.to_thread(llm.warm_up)
    async with proc_app.open_async():
        sweeping = asyncio.create_task(sweep_runs()) if not in_web_process else None
        try:
            await proc_app.run_worker_async(
                concurrency=settings.worker_concurrency,
                install_signal_handlers=not in_web_process,
                shutdown_graceful_timeout=settings.worker_shutdown_seconds,
                update_heartbeat_interval=settings.worker_heartbeat_seconds,
                stalled_worker_timeout=settings.worker_stalled_seconds,
                delete_jobs="successful",
            )
        finally:
            if sweeping is not None:
                sweeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeping
            if not in_web_process:  # the web process closes it in its own lifespan task
                await pdf.close()


RESTART_AFTER_S = (1.0, 30.0)  # first and longest wait before a crashed worker starts again
STEADY_S = 60.0  # a worker that ran this long before crashing is restarted after the first wait


async def run_standalone() -> None:
    """``cli worker``: work until told to stop (SIGTERM/SIGINT, handled by procrastinate). A worker
    that fails (its database connection lost for good; woken from a freeze to find its worker row
    pruned, which procrastinate cannot recover from) is logged and started again, with back-off."""
    wait, longest = RESTART_AFTER_S
    while True:
        started = time.monotonic()
        try:
            await run_worker(in_web_process=False)
            return
        except Exception:
            if time.monotonic() - started > STEADY_S:
                wait = RESTART_AFTER_S[0]
            log.exception("the worker failed; starting it again in %.0f s", wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, longest)


@contextlib.asynccontextmanager
async def in_process_worker() -> AsyncIterator[None]:
    """Lifespan task of the web app: its own worker, stopped before the server ends. A supervised
    child process by default; a task on this event loop with ``NYX_WORKER_SUPERVISED=false``."""
    settings = get_settings()
    if not settings.worker_in_process:
        yield
        return
    if settings.worker_supervised:
        async with supervised_worker():
            yield
        return
    task = asyncio.create_task(run_worker(in_web_process=True), name="nyx-worker")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def pdf_renderer() -> AsyncIterator[None]:
    """Lifespan task of the web app: the PDF renderer's Chromium ends with the server. Registered
    before the worker, so it is closed after the worker (whose jobs use it) has stopped."""
    try:
        yield
    finally:
        await pdf.close()
