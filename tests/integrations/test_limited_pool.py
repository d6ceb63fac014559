"""The limited pool's children end with the process that owns them, even one killed mid-task:
otherwise a hostile template's endless loop outlives the web process that was enforcing its deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nyx_app.settings import ROOT_DIR

OWNER = """
import asyncio, os, time
from nyx_app.integrations.limited_pool import LimitedPool

async def main():
    pool = LimitedPool("owner", workers=1, memory_mb=256)
    print(await pool.run(os.getpid, seconds=60), flush=True)  # the child, ready and answering
    busy = asyncio.create_task(pool.run(time.sleep, 3600, seconds=3600))
    await asyncio.sleep(0.5)
    print("busy", flush=True)
    await busy

asyncio.run(main())
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid and b"limited_child" in cmdline:
                found.append(int(entry.name))
    return found


def _wait_for(condition, what: str, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s for {what}")


def test_a_child_busy_with_a_task_ends_when_its_owner_is_killed() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    owner = subprocess.Popen([sys.executable, "-c", OWNER], env=env, stdout=subprocess.PIPE, text=True)
    child = 0
    try:
        assert owner.stdout is not None
        child = int(owner.stdout.readline())
        assert owner.stdout.readline().strip() == "busy"
        assert child in _children(owner.pid)
        owner.kill()
        owner.wait()
        _wait_for(lambda: not Path(f"/proc/{child}").exists() or _is_zombie(child), "the child to end", 15.0)
    finally:
        owner.kill()
        if child and Path(f"/proc/{child}").exists():
            os.kill(child, signal.SIGKILL)  # a failed run leaves no sleeper behind


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
