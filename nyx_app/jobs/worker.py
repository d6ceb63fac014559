"""Running workers: inside the web process (``./scripts/run``) or on their own (``cli worker``).

Each worker also sweeps: it retries jobs of workers that died (procrastinate's heartbeat tells)
and lets the engine's sweeper settle runs left behind (services/engine/sweeper.py). It sweeps
once at start-up, so runs interrupted by a restart resume at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from procrastinate import exceptions as proc_errors

from nyx_app.db.queue import RUN_TASK
from nyx_app.integrations import llm, pdf
from nyx_app.jobs import tasks, webhook_tasks  # noqa: F401  (registers the task functions)
from nyx_app.jobs.queue import proc_app
from nyx_app.services.engine import sweeper
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)


async def retry_stalled() -> int:
    """Jobs whose worker stopped beating go back to the queue; another worker resumes the run."""
    settings = get_settings()
    stalled = await proc_app.job_manager.get_stalled_jobs(
        task_name=RUN_TASK, seconds_since_heartbeat=settings.worker_stalled_seconds
    )
    retried = 0
    for job in stalled:
        try:
            await proc_app.job_manager.retry_job(job)
            retried += 1
        except proc_errors.ConnectorException:  # another worker retried it first
            pass
    return retried


async def sweep_forever() -> None:
    settings = get_settings()
    rounds = 0
    while True:
        try:
            await retry_stalled()
            await sweeper.sweep_jobs()
            if rounds % max(1, int(settings.run_orphan_sweep_seconds // settings.run_sweep_seconds)) == 0:
                await sweeper.sweep_orphans()
        except Exception:
            log.exception("the run sweeper failed; trying again later")
        rounds += 1
        await asyncio.sleep(settings.run_sweep_seconds)


async def run_worker(*, in_web_process: bool) -> None:
    """Work until cancelled. In the web process procrastinate must not install signal handlers
    (it would swallow SIGTERM and the server would never stop)."""
    settings = get_settings()
    await asyncio.to_thread(llm.warm_up)
    async with proc_app.open_async():
        sweeping = asyncio.create_task(sweep_forever())
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
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            if not in_web_process:  # the web process closes it in its own lifespan task
                await pdf.close()


@contextlib.asynccontextmanager
async def in_process_worker() -> AsyncIterator[None]:
    """Lifespan task of the web app: a worker beside the pages, stopped before the server ends."""
    if not get_settings().worker_in_process:
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
