"""Keeps runs from getting lost or stuck. Called periodically by every process, the web app's
included (``jobs/sweepers.py``): the checks are light, and runs must move on (or say why they
do not) even when every worker is gone.

What can go wrong, and what this does about it:
- A worker is killed (SIGKILL, a lost machine) or frozen (SIGSTOP, a paused VM, a network split):
  its job stays ``doing`` and its heartbeat stops. Once the heartbeat is ``worker_stalled_seconds``
  old the job is ended and the run gets a new one (``take_over``); another worker resumes the run
  (finished steps are kept). A frozen worker that wakes up is refused at its next write by the
  run's lease (``db/lease.py``) and stops.
- The app shuts down gracefully mid-run: procrastinate marks the job ``aborted`` and never retries
  it. Here such a run, still active, gets a new job and resumes.
- The engine itself crashed on a run (its job ``failed``), or a run was re-queued too often: the
  run is marked failed with the reason, and can be resumed by a person.
- A run whose heartbeat is older than ``run_stale_minutes`` and that no live worker holds (its
  job is gone), or whose worker is alive but no longer beats for it (hung): marked failed, and so
  is every step it had not finished, with the reason.
- No worker is alive at all: ``health`` says since when (pages show it), and the pages watching
  runs that wait are told once.

Every action is idempotent, so several workers sweeping at the same moment do no harm.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.queue import RunJob, defer_run, forget_job, queued_run_ids, run_jobs, take_over_stalled, workers
from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunStatus, StepRun, StepStatus
from nyx_app.models.tenancy import Tenant
from nyx_app.services import notifications
from nyx_app.services.engine import health
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

QUEUED_OR_RUNNING = ("todo", "doing", "aborting")
ENDED = ("aborted", "failed", "cancelled")


@dataclass
class SweepReport:
    resumed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    taken_over: list[str] = field(default_factory=list)


UNFINISHED_STEPS = [StepStatus.QUEUED.value, StepStatus.RUNNING.value, StepStatus.WAITING_REVIEW.value]


async def fail_run(session: AsyncSession, run: Run, reason: str) -> None:
    """Mark an unfinished run failed, and every step it had not finished (queued ones too), with
    the reason; they run again when it is resumed. An executor still holding the run (a hung one)
    is refused at its next write: the run is no longer running."""
    await session.execute(
        update(StepRun)
        .where(col(StepRun.run_id) == run.id, col(StepRun.status).in_(UNFINISHED_STEPS))
        .values(status=StepStatus.FAILED.value, error=reason)
    )
    await session.execute(
        update(Run)
        .where(col(Run.id) == run.id, col(Run.status).in_([RunStatus.PENDING.value, RunStatus.RUNNING.value]))
        .values(status=RunStatus.FAILED.value, error=reason, finished_at=func.now(), revision=Run.revision + 1)
    )
    await notify(session, RUNS_CHANNEL, str(run.id))
    await notifications.run_changed(session, run.id, RunStatus.FAILED)


async def _settle(jobs: list[RunJob], report: SweepReport) -> None:
    """A run whose jobs all ended without finishing it: resume it, or fail it with the reason."""
    settings = get_settings()
    latest = jobs[-1]
    async with transaction(uuid.UUID(latest.tenant_id)) as session:
        run = await session.get(Run, uuid.UUID(latest.run_id))
        if run is not None and run.status in (RunStatus.PENDING.value, RunStatus.RUNNING.value):
            if latest.status == "failed":
                await fail_run(session, run, "The run stopped because of an internal error; resume it to try again.")
                report.failed.append(latest.run_id)
            elif latest.jobs_of_run > settings.run_max_job_attempts:
                await fail_run(session, run, "The run kept being interrupted; resume it to try again.")
                report.failed.append(latest.run_id)
            else:  # aborted by a shutdown (or cancelled in the queue): go on from where it stopped
                await defer_run(session, latest.tenant_id, latest.run_id)
                report.resumed.append(latest.run_id)
        for job in jobs:
            await forget_job(session, job.job_id)


async def _fail_hung(job: RunJob, stale: timedelta, report: SweepReport) -> None:
    async with transaction(uuid.UUID(job.tenant_id)) as session:
        run = await session.get(Run, uuid.UUID(job.run_id))
        if run is None or run.status != RunStatus.RUNNING.value or run.heartbeat_at is None:
            return
        if run.heartbeat_at < utcnow() - stale:
            minutes = int(stale.total_seconds() // 60)
            await fail_run(session, run, f"The run stopped responding (no heartbeat for {minutes} minutes).")
            report.failed.append(job.run_id)


async def take_over() -> SweepReport:
    """Runs of workers that stopped beating go to the others (a new job each, at once)."""
    report = SweepReport()
    async with transaction() as session:
        for taken in await take_over_stalled(session, get_settings().worker_stalled_seconds):
            await notify(session, RUNS_CHANNEL, taken.run_id)  # its page may now say it waits
            report.taken_over.append(taken.run_id)
    if report.taken_over:
        log.warning("took over runs of stalled workers: %s", ", ".join(report.taken_over))
    return report


async def check_workers() -> health.WorkerHealth:
    """Whether any worker is alive (``health``); when the last one is gone, the pages watching runs
    that wait for one are told, so they say so."""
    async with transaction() as session:
        seen = await workers(session, get_settings().worker_stalled_seconds)
        now_none = health.record(seen.alive, seen.last_seen)
        if now_none:
            for run_id in await queued_run_ids(session):
                await notify(session, RUNS_CHANNEL, run_id)
    return health.latest() or health.WorkerHealth(seen.alive, seen.last_seen)


async def sweep_jobs() -> SweepReport:
    """Look at every run job procrastinate keeps and settle the runs they leave behind."""
    settings = get_settings()
    report = SweepReport()
    async with transaction() as session:
        jobs = await run_jobs(session, settings.worker_stalled_seconds)
    by_run: dict[str, list[RunJob]] = defaultdict(list)
    for job in jobs:
        by_run[job.run_id].append(job)
    stale = timedelta(minutes=settings.run_stale_minutes)
    for run_jobs_ in by_run.values():
        try:
            live = [j for j in run_jobs_ if j.status in QUEUED_OR_RUNNING]
            if live:
                if live[-1].status == "doing" and live[-1].worker_alive:
                    await _fail_hung(live[-1], stale, report)
                continue  # queued, or a stalled job the worker runner retries
            await _settle([j for j in run_jobs_ if j.status in ENDED], report)
        except Exception:  # one bad row must not stop the sweep of the others
            log.exception("sweeping run %s failed", run_jobs_[-1].run_id)
    return report


async def sweep_orphans() -> SweepReport:
    """Active runs no job holds at all (their heartbeat gone stale): failed, with the reason.

    Runs are only visible per tenant (RLS), so this visits every tenant: it runs rarely.
    """
    settings = get_settings()
    report = SweepReport()
    stale = timedelta(minutes=settings.run_stale_minutes)
    async with transaction() as session:
        held = {
            j.run_id for j in await run_jobs(session, settings.worker_stalled_seconds) if j.status in QUEUED_OR_RUNNING
        }
        tenant_ids = list(await session.exec(select(Tenant.id)))
    for tenant_id in tenant_ids:
        async with transaction(tenant_id) as session:
            cutoff = utcnow() - stale
            runs = await session.exec(
                select(Run).where(
                    col(Run.status).in_([RunStatus.PENDING.value, RunStatus.RUNNING.value]),
                    or_(
                        col(Run.heartbeat_at) < cutoff, col(Run.heartbeat_at).is_(None) & (col(Run.created_at) < cutoff)
                    ),
                )
            )
            for run in runs:
                if str(run.id) in held:
                    continue
                minutes = int(stale.total_seconds() // 60)
                await fail_run(
                    session,
                    run,
                    f"The run stopped responding (no heartbeat for {minutes} minutes) and no worker holds it.",
                )
                report.failed.append(str(run.id))
    return report
