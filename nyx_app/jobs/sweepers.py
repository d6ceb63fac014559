"""Periodic clean-ups that run inside each web process (lifespan tasks)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from nyx_app.services import throttle

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
