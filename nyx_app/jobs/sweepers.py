"""Periodic clean-ups: lifespan tasks of each web process, and the run sweep of every process."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from nyx_app.services import throttle
from nyx_app.services.engine import sweeper
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

THROTTLE_SWEEP_EVERY = timedelta(minutes=15)


async def sweep_auth_throttle() -> None:
    """Remove login/registration counters whose window has long ended. Several processes doing
    this at once is harmless (a delete of the same old rows)."""
    while True:
        try:
            removed = await throttle.sweep()
            log.debug("removed %d old throttle counters", removed)
        except Exception:
            log.exception("sweeping old throttle counters failed; trying again later")
        await asyncio.sleep(THROTTLE_SWEEP_EVERY.total_seconds())


async def sweep_runs() -> None:
    """The run sweeper's light checks, every ``run_sweep_seconds`` in every process (web app and
    workers): runs of stalled workers go to live ones, runs their jobs left behind are settled,
    and whether any worker is alive is known (pages say so). Active runs nobody holds are looked
    for less often (``run_orphan_sweep_seconds``: that visits every tenant). Several processes
    doing this at once is harmless: every action is idempotent, and takeovers lock their job."""
    settings = get_settings()
    rounds = 0
    while True:
        try:
            await sweeper.take_over()
            await sweeper.sweep_jobs()
            await sweeper.check_workers()
            if rounds % max(1, int(settings.run_orphan_sweep_seconds // settings.run_sweep_seconds)) == 0:
                await sweeper.sweep_orphans()
        except Exception:
            log.exception("the run sweeper failed; trying again later")
        rounds += 1
        await asyncio.sleep(settings.run_sweep_seconds)
