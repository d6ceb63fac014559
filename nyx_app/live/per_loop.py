"""One instance per running event loop.

The hub, the shared reads and the remembered sessions hold asyncio events, tasks and futures,
which belong to the loop that made them. The app has one loop; tests and workers may have others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_loop(factory: Callable[[], T]) -> Callable[[], T]:
    """A function returning the running loop's instance, made by ``factory`` on first use."""
    made: dict[asyncio.AbstractEventLoop, T] = {}

    def current() -> T:
        loop = asyncio.get_running_loop()
        found = made.get(loop)
        if found is None:
            found = made[loop] = factory()
        return found

    return current
