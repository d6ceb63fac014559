"""The child side of limited_pool.py: ``python -m nyx_app.integrations.limited_child MEMORY_MB NICE
[MODULE …]`` imports the modules, lowers its CPU priority (the app's own process keeps the CPU
when both want it), limits its own address space, says it is ready, then answers
length-prefixed pickled ``(function, args)`` calls from stdin on stdout until stdin closes.

Only the parent writes to stdin, and what it sends are references to our own functions and plain
data; stdout carries nothing but answers (``print`` goes to stderr).
"""

from __future__ import annotations

import importlib
import os
import pickle
import resource
import sys
import threading
import time
from typing import IO

READY = b"R"
PARENT_CHECK_SECONDS = 0.5


def _end_with_parent() -> None:
    """A thread that ends this process once its parent is gone. The parent enforces each task's
    deadline; a parent killed mid-task (SIGKILL, OOM) would leave a hostile loop running forever.
    Polling ``getppid`` rather than PR_SET_PDEATHSIG: the parent starts children from short-lived
    threads, and PDEATHSIG fires when the starting *thread* ends."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _read(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def main(argv: list[str]) -> None:
    memory_mb, nice, modules = int(argv[0]), int(argv[1]), argv[2:]
    _end_with_parent()  # before the address-space limit: a thread's stack is reserved up front
    if nice:
        os.nice(nice)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into an answer
    for name in modules:
        importlib.import_module(name)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    out.write(READY)
    out.flush()
    stdin = sys.stdin.buffer
    while (header := _read(stdin, 8)) is not None:
        body = _read(stdin, int.from_bytes(header, "big"))
        if body is None:
            return
        try:
            fn, args = pickle.loads(body)
            answer: tuple[bool, object] = (True, fn(*args))
        except BaseException as exc:  # MemoryError included: the parent names it
            answer = (False, exc)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            data = pickle.dumps((False, RuntimeError(f"the answer could not be sent back: {exc!r}")))
        out.write(len(data).to_bytes(8, "big") + data)
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
