"""One read for every watcher that wants the same thing after the same notification.

Twenty tabs watching one run wake on the same NOTIFY; each reading the run itself would put twenty
identical reads on the database and the event loop, and the last tab would see the change only
after all of them. A read is shared when its key and the hub's version of what it watches are the
same: a read begun after the version was taken has seen every change notified up to it. Results
are kept briefly (a watcher woken by the same notification comes a few milliseconds later), and
never past a new version; a failed read is not kept.

The key must contain everything the result depends on, including the tenant: callers check
*who* may see it (the session) themselves, before asking.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from nyx_app.live.per_loop import per_loop

T = TypeVar("T")

KEEP_S = 0.5  # how long a finished read serves watchers of the same version


class SharedReads:
    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self._reads: dict[Hashable, tuple[int, float, asyncio.Future[Any]]] = {}

    async def get(self, key: Hashable, version: int, read: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        self._forget_old(now)
        found = self._reads.get(key)
        if found is None or found[0] != version:
            # A task, not a coroutine of this caller: if the tab that started it goes away, the
            # others still get their answer.
            task: asyncio.Future[Any] = asyncio.ensure_future(read())
            found = self._reads[key] = (version, now, task)
            task.add_done_callback(functools.partial(self._drop_if_failed, key))
        result: T = await asyncio.shield(found[2])
        return result

    def _drop_if_failed(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        if task.cancelled() or task.exception() is not None:
            found = self._reads.get(key)
            if found is not None and found[2] is task:
                del self._reads[key]

    def _forget_old(self, now: float) -> None:
        old = [k for k, (_, at, task) in self._reads.items() if task.done() and now - at > self.keep_s]
        for k in old:
            del self._reads[k]


# The shared reads of the running event loop (futures belong to one loop).
shared_reads = per_loop(SharedReads)
