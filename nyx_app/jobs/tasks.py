"""Task functions. Only async work here: these also run inside the web process's worker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from nyx_app.db.notify import RUN_CONTROL_CHANNEL
from nyx_app.db.queue import RUN_QUEUE, RUN_TASK
from nyx_app.jobs.queue import proc_app
from nyx_app.live.hub import hub
from nyx_app.services import trash
from nyx_app.services.engine.executor import execute
from nyx_app.services.engine.sweeper import cancel_requested
from nyx_app.services.reports.pdf import make_pdf
from nyx_app.services.reports.store import PDF_QUEUE, PDF_TASK


@proc_app.task(name=RUN_TASK, queue=RUN_QUEUE)
async def run_task(tenant_id: str, run_id: str) -> None:
    """Execute (or continue) a run. A cancel from any process arrives as a NOTIFY on the control
    channel; the watcher is in place before the executor reads the run, so none is missed."""
    stop = asyncio.Event()
    async with hub().watch(RUN_CONTROL_CHANNEL, run_id) as cancelled:

        async def relay() -> None:
            # The hub also wakes watchers when it reconnects: only the database says "cancel".
            while True:
                await cancelled.wait()
                cancelled.clear()
                if await cancel_requested(uuid.UUID(tenant_id), uuid.UUID(run_id)):
                    stop.set()
                    return

        relaying = asyncio.create_task(relay())
        try:
            await execute(uuid.UUID(tenant_id), uuid.UUID(run_id), stop)
        finally:
            relaying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relaying


@proc_app.task(name=PDF_TASK, queue=PDF_QUEUE)
async def report_pdf_task(tenant_id: str, report_id: str) -> None:
    """Render a report's PDF. Async: the renderer awaits Chromium (its own processes, at a lower
    priority), so this job runs beside the pages of the web process without holding its loop."""
    await make_pdf(uuid.UUID(tenant_id), uuid.UUID(report_id))


# Once an hour, whichever worker takes it (procrastinate defers each periodic run once).
@proc_app.periodic(cron="23 * * * *", periodic_id="purge-trash")
@proc_app.task(name="nyx.purge_trash", queue="maintenance", queueing_lock="purge-trash", pass_context=False)
async def purge_trash_task(timestamp: int) -> None:
    """Items in a workspace's trash for more than 30 days go for good, with their files."""
    await trash.purge_expired()
