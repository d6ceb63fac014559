"""Helper processes that end with the process that started them, however it ends (SIGKILL included).

Linux's ``prctl(PR_SET_PDEATHSIG)`` (through ctypes: no package offers just this) has the kernel
send a signal to a process when its parent ends. The parent is the *thread* that started it, so
start helpers from a thread that lives as long as the process (the event loop's). Elsewhere this
does nothing, and helpers are only stopped by a parent that ends cleanly.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM, parent_pid: int | None = None) -> bool:
    """Ask to receive ``sig`` when the parent process ends. If ``parent_pid`` is given and it is
    no longer the parent (it ended before this ran), the signal comes at once. True when armed."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    return True


def pool_worker_dies_with_parent() -> None:
    """``ProcessPoolExecutor(initializer=...)``: a pool worker ends with the process that owns it."""
    die_with_parent(signal.SIGTERM)
