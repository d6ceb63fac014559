"""Real worker processes (``python -m nyx_app.cli worker``) against the test database.

They inherit the test environment (database, secret key, storage), with short heartbeats and
sweeps so a dead worker is noticed in seconds rather than the production half minute.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from nyx_app.settings import ROOT_DIR

ARTIFACTS = ROOT_DIR / "test-artifacts"
FAST = {
    "NYX_WORKER_HEARTBEAT_SECONDS": "0.5",
    "NYX_WORKER_STALLED_SECONDS": "3",
    "NYX_RUN_SWEEP_SECONDS": "0.5",
    "NYX_RUN_HEARTBEAT_SECONDS": "0.5",
    "NYX_WORKER_SHUTDOWN_SECONDS": "1",
}
_numbers = itertools.count(1)


class Worker:
    def __init__(self, proc: subprocess.Popen[bytes], log: str) -> None:
        self.proc = proc
        self.log = log

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a lost machine."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the process stops where it is, connections open (a paused VM, a blocked loop)."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: it goes on from where it stopped, unaware of what happened meanwhile."""
        self.proc.send_signal(signal.SIGCONT)

    def terminate(self) -> int:
        """SIGTERM: a graceful shutdown (procrastinate's own signal handling)."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)

    def output(self) -> str:
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()


@contextmanager
def worker_process(**env: str) -> Iterator[Worker]:
    ARTIFACTS.mkdir(exist_ok=True)
    log = str(ARTIFACTS / f"worker-{os.getpid()}-{next(_numbers)}.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nyx_app.cli", "worker"],
            cwd=ROOT_DIR,
            env={**os.environ, **FAST, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(proc, log)
    try:
        yield worker
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)  # a frozen one, too, must go
            proc.kill()
            proc.wait(timeout=10)
