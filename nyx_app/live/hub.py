"""One LISTEN connection per process; every watcher of a key gets an ``asyncio.Event``.

Writers NOTIFY inside their transaction (``db/notify.py``), so a notification means "committed".
A watcher clears its event **before** reading the database and then waits on it: a change that
lands while it reads sets the event again, so nothing is lost, and a burst of changes coalesces
into one re-read. If the connection drops, the hub reconnects with back-off and wakes every
watcher (they re-read: whatever happened meanwhile is in the database).

No database connection per browser: a thousand watching tabs share this one connection.

Each watched key also has a version that changes with its notifications: a read begun after
taking version V has seen every change notified up to V, so watchers holding the same version
can share one read (``live/shared.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable

import psycopg

from nyx_app.db.notify import NOTIFICATIONS_CHANNEL, RUN_CONTROL_CHANNEL, RUNS_CHANNEL, SESSIONS_CHANNEL
from nyx_app.db.urls import app_url, libpq_url
from nyx_app.live.per_loop import per_loop

log = logging.getLogger(__name__)

CHANNELS = (RUNS_CHANNEL, RUN_CONTROL_CHANNEL, SESSIONS_CHANNEL, NOTIFICATIONS_CHANNEL)
MAX_BACKOFF_S = 5.0
CONNECT_WAIT_S = 5.0


class Hub:
    def __init__(self, channels: Iterable[str] = CHANNELS) -> None:
        self.channels = tuple(channels)
        self._watchers: dict[tuple[str, str], set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self._seq = 0  # counts notifications (and reconnects) of this process
        self._versions: dict[tuple[str, str], int] = {}

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="nyx-live-hub")

    @contextlib.asynccontextmanager
    async def watch(self, channel: str, key: str) -> AsyncIterator[asyncio.Event]:
        """An event set on every NOTIFY of ``channel`` with payload ``key`` (and on reconnects)."""
        self._ensure_running()
        event = asyncio.Event()
        self._watchers[(channel, key)].add(event)
        self._versions.setdefault((channel, key), self._seq)
        try:
            # LISTEN should be in place before the caller reads the truth; if the database is
            # unreachable, go on anyway (the watcher's slow safety-net poll still works).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.connected.wait(), CONNECT_WAIT_S)
            yield event
        finally:
            watchers = self._watchers.get((channel, key))
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._watchers[(channel, key)]
                    self._versions.pop((channel, key), None)

    def version(self, channel: str, key: str) -> int:
        """Changes whenever ``key`` is notified (or the connection was lost). For an unwatched key
        it is the count of all notifications: it changes more often than needed, never too little."""
        return self._versions.get((channel, key), self._seq)

    def _notified(self, channel: str, key: str) -> None:
        self._seq += 1
        events = self._watchers.get((channel, key), ())
        if events:
            self._versions[(channel, key)] = self._seq
        for event in events:
            event.set()

    def _wake_all(self) -> None:
        self._seq += 1
        for watched, events in self._watchers.items():
            self._versions[watched] = self._seq
            for event in events:
                event.set()

    async def _listen(self) -> None:
        backoff = 0.2
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(libpq_url(app_url()), autocommit=True)
                async with conn:
                    for channel in self.channels:
                        await conn.execute(f'LISTEN "{channel}"')
                    self.connected.set()
                    self._wake_all()  # anything may have changed while we were not listening
                    backoff = 0.2
                    async for note in conn.notifies():
                        self._notified(note.channel, note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live hub lost its database connection; reconnecting", exc_info=True)
            self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


# The hub of the running event loop (one per process in the app and in workers).
hub = per_loop(Hub)
