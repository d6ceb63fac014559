"""Deferring procrastinate jobs inside the caller's transaction.

A run row and the job that executes it are written in one transaction (procrastinate's own
``procrastinate_defer_jobs_v1`` SQL function, which its Python ``defer`` also calls), so a run can
never exist without its job, nor a job without its run. Its insert trigger wakes listening
workers when the transaction commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

# The task that executes a run (nyx_app/jobs registers it under this name) and its queue.
RUN_TASK = "nyx.run"
RUN_QUEUE = "runs"

_DEFER = text(
    "SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :queueing_lock, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))[1]"
)


async def defer_job(
    session: AsyncSession,
    task: str,
    args: dict[str, Any],
    *,
    queue: str = "default",
    lock: str | None = None,
    queueing_lock: str | None = None,
) -> int | None:
    """Queue a job in this transaction. Returns its id, or None when a job with the same
    ``queueing_lock`` is already waiting (the caller's transaction goes on unharmed)."""
    try:
        async with session.begin_nested():  # a savepoint: a duplicate lock must not abort the caller
            result = await session.execute(
                _DEFER,
                {"queue": queue, "task": task, "lock": lock, "queueing_lock": queueing_lock, "args": json.dumps(args)},
            )
            return int(result.scalar_one())
    except IntegrityError:
        return None


async def advisory_xact_lock(session: AsyncSession, key: str) -> None:
    """Serialise transactions that check-then-insert on the same key (released at commit)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


async def defer_run(session: AsyncSession, tenant_id: str, run_id: str) -> int | None:
    """Queue the job that executes a run. One job at a time per run (``lock``), and at most one
    waiting (``queueing_lock``): a second defer while one waits is a no-op."""
    args = {"tenant_id": tenant_id, "run_id": run_id}
    return await defer_job(session, RUN_TASK, args, queue=RUN_QUEUE, lock=run_id, queueing_lock=run_id)


@dataclass(frozen=True, slots=True)
class RunJob:
    job_id: int
    status: str  # procrastinate's: todo | doing | succeeded | failed | cancelled | aborting | aborted
    tenant_id: str
    run_id: str
    worker_alive: bool
    jobs_of_run: int


_RUN_JOBS = text(
    """
    SELECT j.id, j.status::text AS status, j.args->>'tenant_id' AS tenant_id, j.args->>'run_id' AS run_id,
           coalesce(w.last_heartbeat > now() - make_interval(secs => :stalled), false) AS worker_alive,
           count(*) OVER (PARTITION BY j.args->>'run_id') AS jobs_of_run
    FROM procrastinate_jobs j
    LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
    WHERE j.task_name = :task
    ORDER BY j.id
    """
)


async def run_jobs(session: AsyncSession, stalled_seconds: float) -> list[RunJob]:
    """Every job of the run task that procrastinate still keeps (succeeded ones are deleted)."""
    rows = await session.execute(_RUN_JOBS, {"task": RUN_TASK, "stalled": stalled_seconds})
    return [RunJob(r.id, r.status, r.tenant_id, r.run_id, r.worker_alive, r.jobs_of_run) for r in rows]


@dataclass(frozen=True, slots=True)
class TakenOver:
    tenant_id: str
    run_id: str
    job_id: int | None  # the new job, None if one was already waiting


# Jobs of the run task that a worker was executing when it stopped beating (or whose worker row
# is gone). Locked, so that several processes sweeping at once take each over once.
_STALLED = text(
    """
    SELECT j.id, j.args->>'tenant_id' AS tenant_id, j.args->>'run_id' AS run_id
    FROM procrastinate_jobs j
    LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
    WHERE j.task_name = :task AND j.status = 'doing'
      AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => :stalled))
    ORDER BY j.id
    FOR UPDATE OF j SKIP LOCKED
    """
)
_ABORT = text("UPDATE procrastinate_jobs SET status = 'aborted' WHERE id = :id AND status = 'doing'")


async def take_over_stalled(session: AsyncSession, stalled_seconds: float) -> list[TakenOver]:
    """Give the runs of stalled workers to the others: each such job is ended (``aborted``) and the
    run gets a new job, whose insert wakes the listening workers at once.

    A new job, not procrastinate's ``retry_job`` of the same one: a stalled worker may only be
    frozen, and when it wakes it finishes *its* job, which would then be the job another worker
    is executing (procrastinate finishes a job by id). Its own job is already ended, so that
    changes nothing; its writes to the run are refused by the run's lease (``db/lease.py``)."""
    taken = []
    for job_id, tenant_id, run_id in (
        await session.execute(_STALLED, {"task": RUN_TASK, "stalled": stalled_seconds})
    ).all():
        await session.execute(_ABORT, {"id": job_id})
        taken.append(TakenOver(tenant_id, run_id, await defer_run(session, tenant_id, run_id)))
    return taken


@dataclass(frozen=True, slots=True)
class Workers:
    alive: int
    last_seen: datetime | None  # the latest heartbeat of any worker still registered


_WORKERS = text(
    "SELECT count(*) FILTER (WHERE last_heartbeat > now() - make_interval(secs => :stalled)), max(last_heartbeat) "
    "FROM procrastinate_workers"
)


async def workers(session: AsyncSession, stalled_seconds: float) -> Workers:
    """How many workers beat within ``stalled_seconds`` (any process, any machine)."""
    alive, last_seen = (await session.execute(_WORKERS, {"stalled": stalled_seconds})).one()
    return Workers(int(alive), last_seen)


_WAITING_RUNS = text(
    "SELECT DISTINCT args->>'run_id' FROM procrastinate_jobs WHERE task_name = :task AND status IN ('todo', 'doing')"
)


async def queued_run_ids(session: AsyncSession) -> list[str]:
    """Runs that have a job waiting or in progress."""
    return list((await session.execute(_WAITING_RUNS, {"task": RUN_TASK})).scalars())


async def forget_job(session: AsyncSession, job_id: int) -> None:
    """Drop a finished (aborted or failed) job once the sweeper has dealt with its run."""
    await session.execute(
        text("DELETE FROM procrastinate_jobs WHERE id = :id AND status IN ('aborted', 'failed', 'cancelled')"),
        {"id": job_id},
    )
