"""Shared reads: watchers of one thing after one notification get one read between them; a new
notification, a failure or time makes the next caller read again."""

from __future__ import annotations

import asyncio

import pytest

from nyx_app.live.shared import SharedReads


class Reader:
    def __init__(self, *, fail: bool = False, delay: float = 0.05) -> None:
        self.calls = 0
        self.fail = fail
        self.delay = delay

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("database away")
        return f"read {self.calls}"


async def test_twenty_watchers_of_one_version_share_one_read() -> None:
    reads, read = SharedReads(), Reader()
    results = await asyncio.gather(*(reads.get(("tenant", "run"), 7, read) for _ in range(20)))
    assert read.calls == 1
    assert set(results) == {"read 1"}
    # A watcher arriving a moment later, for the same version, is served the same result.
    assert await reads.get(("tenant", "run"), 7, read) == "read 1"
    assert read.calls == 1


async def test_a_new_version_or_another_key_reads_again() -> None:
    reads, read = SharedReads(), Reader()
    await reads.get(("tenant", "run"), 7, read)
    assert await reads.get(("tenant", "run"), 8, read) == "read 2"
    assert await reads.get(("other tenant", "run"), 8, read) == "read 3"


async def test_a_kept_result_expires() -> None:
    reads, read = SharedReads(keep_s=0.05), Reader(delay=0)
    await reads.get("k", 1, read)
    await asyncio.sleep(0.1)
    assert await reads.get("k", 1, read) == "read 2"


async def test_a_failed_read_fails_everyone_waiting_and_is_not_kept() -> None:
    reads, failing = SharedReads(), Reader(fail=True)
    outcomes = await asyncio.gather(*(reads.get("k", 1, failing) for _ in range(3)), return_exceptions=True)
    assert failing.calls == 1
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert await reads.get("k", 1, Reader()) == "read 1"  # the next caller reads again


async def test_the_watcher_that_started_a_read_going_away_does_not_cancel_it_for_the_others() -> None:
    reads, read = SharedReads(), Reader(delay=0.1)
    first = asyncio.create_task(reads.get("k", 1, read))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(reads.get("k", 1, read))
    await asyncio.sleep(0.01)
    first.cancel()  # its tab closed
    assert await second == "read 1"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert read.calls == 1
