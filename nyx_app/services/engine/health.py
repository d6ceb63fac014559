"""Whether any job worker is alive, as this process last saw it (``sweeper.check_workers`` looks
every ``run_sweep_seconds``, in every process). Pages read it without a query of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nyx_app.db.base import utcnow


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    alive: int  # workers that beat recently, in any process on any machine
    last_seen: datetime | None  # the latest heartbeat of any worker
    since: datetime | None = None  # no worker alive since then (None while one is)


_latest: WorkerHealth | None = None


def record(alive: int, last_seen: datetime | None) -> bool:
    """Keep what a check saw. True when it found none alive and the check before did not."""
    global _latest
    before = _latest
    since = None
    if not alive:
        since = before.since if before is not None and before.since is not None else (last_seen or utcnow())
    _latest = WorkerHealth(alive, last_seen, since)
    return not alive and (before is None or before.alive > 0)


def latest() -> WorkerHealth | None:
    return _latest


def no_worker_since() -> datetime | None:
    """When the last worker was seen, if none is alive now (None: one is, or nobody checked yet)."""
    return _latest.since if _latest is not None else None
