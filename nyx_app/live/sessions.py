"""Who is watching, remembered between a page's reads until a login or a membership changes.

A run page re-reads its run on every change, several times a second, and each read first checks
the session (``auth.resolve``: a transaction of five statements). Twenty tabs did that twenty
times per change. Here the answer is kept until the hub hears ``nyx_sessions`` (triggers on the
login and membership tables send it on every logout, revocation, tenant switch, removal or role
change) and for at most ``KEEP_S``, so a login that simply expires stops within that time too.
Tokens are kept only as their hash.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

from nyx_app.db.notify import SESSIONS_CHANNEL
from nyx_app.live.hub import hub
from nyx_app.live.per_loop import per_loop
from nyx_app.services import auth
from nyx_app.services.auth import Identity

KEEP_S = 30.0
_SESSIONS_KEY = ""


class Sessions:
    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self._known: dict[str, tuple[int, float, Identity]] = {}

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Hold while resolving through ``resolve``: the hub keeps the sessions channel's version."""
        async with hub().watch(SESSIONS_CHANNEL, _SESSIONS_KEY):
            yield

    async def resolve(self, token: str) -> Identity | None:
        """``auth.resolve(token)``, or what it said a moment ago if no login or membership changed."""
        key, now = auth.token_hash(token), time.monotonic()
        version = hub().version(SESSIONS_CHANNEL, _SESSIONS_KEY)
        known = self._known.get(key)
        if known is not None and known[0] == version and now - known[1] < self.keep_s:
            return known[2]
        identity = await auth.resolve(token)
        self._forget_old(now)
        if identity is None:
            self._known.pop(key, None)
        else:
            self._known[key] = (version, now, identity)
        return identity

    def _forget_old(self, now: float) -> None:
        old = [k for k, (_, at, _) in self._known.items() if now - at >= self.keep_s]
        for k in old:
            del self._known[k]


sessions = per_loop(Sessions)
