"""Jobs of the webhooks and the audit log: a delivery attempt, and the daily audit purge.

Deliveries are queued by database triggers (migration 0019) in the transaction that finished a
run or saved a report, one job per delivery, at most one running per webhook (the job lock), so a
receiver that stalls holds one worker slot, never all of them. A failed attempt asks to be tried
again later (``DeliveryRetry``); procrastinate keeps the job and runs it again then, so a retry
survives a restart.
"""

from __future__ import annotations

import logging
import uuid

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job

from nyx_app.db.session import transaction
from nyx_app.jobs.queue import proc_app
from nyx_app.services.audit import log as audit_log
from nyx_app.services.webhooks.deliver import DeliveryRetry, deliver

log = logging.getLogger(__name__)

DELIVERY_TASK = "nyx.webhook_delivery"  # the name the trigger queues (migration 0019)
DELIVERY_QUEUE = "webhooks"
UNEXPECTED_RETRY_S = 60
UNEXPECTED_MAX_ATTEMPTS = 10


class WhenAsked(BaseRetryStrategy):
    """Retry when the delivery says when (its own schedule); after an unexpected failure (the
    database away, say) a few times a minute apart, so the delivery is not lost."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, DeliveryRetry):
            return RetryDecision(retry_in={"seconds": exception.delay})
        if job.attempts < UNEXPECTED_MAX_ATTEMPTS:
            return RetryDecision(retry_in={"seconds": UNEXPECTED_RETRY_S})
        return None


@proc_app.task(name=DELIVERY_TASK, queue=DELIVERY_QUEUE, retry=WhenAsked(), pass_context=False)
async def webhook_delivery(tenant_id: str, delivery_id: str) -> None:
    await deliver(uuid.UUID(tenant_id), uuid.UUID(delivery_id))


@proc_app.periodic(cron="17 3 * * *", periodic_id="audit-purge")
@proc_app.task(name="nyx.audit_purge", queue=DELIVERY_QUEUE, queueing_lock="audit-purge")
async def audit_purge(timestamp: int) -> None:
    """Remove audit rows past NYX_AUDIT_RETENTION_DAYS, once a day, whichever worker gets it."""
    async with transaction() as session:
        removed = await audit_log.purge(session)
    log.info("audit purge removed %d rows", removed)
