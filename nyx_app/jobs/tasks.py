"""Task functions. Only async work here: these also run inside the web process's worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import procrastinate

from nyx_app.db.knowledge_sql import EMBED_QUEUE, EMBED_TASK
from nyx_app.db.notify import RUN_CONTROL_CHANNEL
from nyx_app.db.queue import RUN_QUEUE, RUN_TASK
from nyx_app.jobs.queue import proc_app
from nyx_app.live.hub import hub
from nyx_app.services import trash
from nyx_app.services.engine.executor import RunExecutor
from nyx_app.services.image_descriptions import DESCRIBE_QUEUE, DESCRIBE_TASK, describe_pending
from nyx_app.services.knowledge.indexer import embed_pending
from nyx_app.services.reports.pdf import make_pdf
from nyx_app.services.reports.store import PDF_QUEUE, PDF_TASK

log = logging.getLogger(__name__)


@proc_app.task(name=RUN_TASK, queue=RUN_QUEUE)
async def run_task(tenant_id: str, run_id: str) -> None:
    """Execute (or continue) a run. A cancel from any process, or the deletion of the run's project
    or of a persona it uses, arrives as a NOTIFY on the control channel; the watcher is in place
    before the executor reads the run, so none is missed."""
    executor = RunExecutor(uuid.UUID(tenant_id), uuid.UUID(run_id))
    async with hub().watch(RUN_CONTROL_CHANNEL, run_id) as steered:

        async def relay() -> None:
            # The hub also wakes watchers when it reconnects: only the database says what changed.
            while not executor.stop.is_set():
                await steered.wait()
                steered.clear()
                try:
                    await executor.steered()
                except Exception:  # the next notification (or the executor's next write) tells
                    log.warning("reading what changed in run %s failed", run_id, exc_info=True)

        relaying = asyncio.create_task(relay())
        try:
            await executor.execute()
        finally:
            relaying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relaying


@proc_app.task(name=PDF_TASK, queue=PDF_QUEUE)
async def report_pdf_task(tenant_id: str, report_id: str) -> None:
    """Render a report's PDF. Async: the renderer awaits Chromium (its own processes, at a lower
    priority), so this job runs beside the pages of the web process without holding its loop."""
    await make_pdf(uuid.UUID(tenant_id), uuid.UUID(report_id))


@proc_app.task(
    name=EMBED_TASK,
    queue=EMBED_QUEUE,
    # A failed batch (provider down, wrong dimension, NaN) is written on its items and raised:
    # tried again after 2, 4, 8, 16 s... (the items' attempts stop at indexer.MAX_ATTEMPTS).
    retry=procrastinate.RetryStrategy(max_attempts=6, exponential_wait=2),
)
async def knowledge_embed_task(tenant_id: str) -> None:
    """Embed what the tenant's model has no current vector of (services/knowledge/indexer.py).
    Queued by the trigger on knowledge_item (coalesced per tenant) and by a model switch."""
    await embed_pending(uuid.UUID(tenant_id))


# Once an hour, whichever worker takes it (procrastinate defers each periodic run once).
@proc_app.periodic(cron="23 * * * *", periodic_id="purge-trash")
@proc_app.task(name="nyx.purge_trash", queue="maintenance", queueing_lock="purge-trash", pass_context=False)
async def purge_trash_task(timestamp: int) -> None:
    """Items in a workspace's trash for more than 30 days go for good, with their files."""
    await trash.purge_expired()


@proc_app.task(name=DESCRIBE_TASK, queue=DESCRIBE_QUEUE)
async def describe_images_task(tenant_id: str, user_id: str) -> None:
    """Describe images saved without a description, a batch at a time, through the LLM call path
    (services/image_descriptions.py). Queued when images are saved (one per tenant at a time)."""
    await describe_pending(uuid.UUID(tenant_id), uuid.UUID(user_id))
