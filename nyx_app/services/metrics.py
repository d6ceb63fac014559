"""The figures behind /metrics (api/metrics.py) and the admin health page, read from PostgreSQL.

Read at scrape time from the database, so every app process reports the same, whole-installation
figures whichever one Prometheus asks (workers have no HTTP server; what they do is in the tables):
runs by status, the job queue (depth, oldest waiting job's age), workers alive with their
heartbeat, and over the last ``WINDOW`` LLM calls by provider and outcome, tokens, cost and the
mean step duration. Tenants are visited one by one by ``nyx_metrics_rows`` (migration 0027), since
the app role sees one tenant at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import transaction

WINDOW = timedelta(minutes=15)

_ROWS = text(
    "SELECT metric, label_a, label_b, sum(value) FROM nyx_metrics_rows(:window) GROUP BY metric, label_a, label_b"
)
_QUEUE = text(
    """
    SELECT count(*) FILTER (WHERE j.status = 'todo'),
           count(*) FILTER (WHERE j.status = 'doing'),
           count(*) FILTER (WHERE j.status = 'failed'),
           coalesce(extract(epoch FROM now() - min(e.at) FILTER (WHERE j.status = 'todo')), 0)
      FROM procrastinate_jobs j
      LEFT JOIN LATERAL (SELECT min(at) AS at FROM procrastinate_events ev
                          WHERE ev.job_id = j.id AND ev.type = 'deferred') e ON true
     WHERE j.status IN ('todo', 'doing', 'failed')
    """
)
_WORKERS = text("SELECT id, last_heartbeat FROM procrastinate_workers ORDER BY id")


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    worker_id: int
    last_heartbeat: datetime


@dataclass
class Snapshot:
    runs: dict[str, float] = field(default_factory=dict)  # status -> count
    llm_calls: dict[tuple[str, str], float] = field(default_factory=dict)  # (provider, status) -> count
    llm_tokens: dict[tuple[str, str], float] = field(default_factory=dict)  # (provider, in|out) -> tokens
    llm_cost_usd: dict[str, float] = field(default_factory=dict)
    step_seconds_sum: float = 0.0
    step_count: float = 0.0
    queue_todo: int = 0
    queue_doing: int = 0
    queue_failed: int = 0
    oldest_todo_seconds: float = 0.0
    workers: list[WorkerBeat] = field(default_factory=list)


async def snapshot() -> Snapshot:
    """Every figure in one transaction (no tenant context: the function visits the tenants)."""
    async with transaction() as session:
        return await read(session)


async def read(session: AsyncSession) -> Snapshot:
    """The figures, in the caller's transaction. It must have no tenant context: the function
    leaves none behind."""
    snap = Snapshot()
    grouped: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for metric, a, b, value in (await session.execute(_ROWS, {"window": WINDOW})).all():
        grouped[metric][(a, b)] = float(value or 0)
    todo, doing, failed, oldest = (await session.execute(_QUEUE)).one()
    workers = (await session.execute(_WORKERS)).all()
    snap.runs = {a: v for (a, _), v in grouped["runs"].items()}
    snap.llm_calls = dict(grouped["llm_calls"])
    snap.llm_tokens = dict(grouped["llm_tokens"])
    snap.llm_cost_usd = {a: v for (a, _), v in grouped["llm_cost_usd"].items()}
    snap.step_seconds_sum = grouped["step_seconds_sum"].get(("", ""), 0.0)
    snap.step_count = grouped["step_count"].get(("", ""), 0.0)
    snap.queue_todo, snap.queue_doing, snap.queue_failed = int(todo), int(doing), int(failed)
    snap.oldest_todo_seconds = float(oldest or 0)
    snap.workers = [WorkerBeat(int(w.id), w.last_heartbeat) for w in workers]
    return snap
