"""A small pool of child processes for work that must not run without limits: each task has a
deadline after which its child is killed with SIGKILL (and replaced), and every child has a hard
address-space limit (RLIMIT_AS), so a task that loops or allocates without end costs one child,
never the caller.

Children are plain ``python -m nyx_app.integrations.limited_child`` processes (not
``multiprocessing``: its spawn and forkserver children re-import the caller's ``__main__``, which
for the web process is Reflex itself) that import only the modules named in ``preload`` and then
answer length-prefixed pickled calls on their stdin/stdout. A child says when it is ready, and a
task's deadline starts only then; a killed child is replaced at once, in the background.

The asyncio side awaits a task with a bound (blocking pipe reads happen in a thread of the default
executor), so the caller's event loop never waits on a child without limit. A caller may pass a
``gate`` key (a tenant id): at most one task per key runs at once in this process, so one tenant's
expensive tasks queue behind each other, not in front of everyone else's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

READY = b"R"
START_TIMEOUT_SECONDS = 60.0  # a child importing its modules on a busy machine
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory that holds the nyx_app package
_KEPT_ENV = frozenset({"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "PYTHONHASHSEED"})


class LimitExceeded(Exception):
    """The task went past a hard limit and its child was stopped; ``kind`` says which."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "time" | "memory" | "crash"


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the child process ended")
    return data


class _Child:
    def __init__(self, memory_mb: int, nice: int, preload: Sequence[str]) -> None:
        # Not the caller's environment: secrets (database URL, keys) stay out of reach of the work.
        env = {k: v for k, v in os.environ.items() if k in _KEPT_ENV}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nyx_app.integrations.limited_child", str(memory_mb), str(nice), *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self.ready = False

    def wait_ready(self) -> None:
        """Blocks until the child has imported its modules."""
        if not self.ready:
            assert self.proc.stdout is not None
            if _read_exact(self.proc.stdout, 1) != READY:
                raise EOFError("the child process did not start")
            self.ready = True

    def call(self, payload: bytes) -> bytes:
        """Blocks: send one call, read its answer (EOFError if the child is killed meanwhile)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(len(payload).to_bytes(8, "big") + payload)
        self.proc.stdin.flush()
        size = int.from_bytes(_read_exact(self.proc.stdout, 8), "big")
        return _read_exact(self.proc.stdout, size)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class LimitedPool:
    def __init__(self, name: str, *, workers: int, memory_mb: int, nice: int = 0, preload: Sequence[str] = ()) -> None:
        self.name = name
        self.workers = workers
        self.memory_mb = memory_mb
        self.nice = nice  # added to the children's CPU niceness
        self.preload = list(preload)
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self._closed = False
        # Per event loop (an asyncio primitive belongs to one): free children, and one task per gate key.
        self._slots: dict[int, asyncio.Semaphore] = {}
        self._gates: dict[tuple[int, Hashable], asyncio.Semaphore] = {}

    def _new_child(self) -> _Child:
        return _Child(self.memory_mb, self.nice, self.preload)

    def _checkout(self) -> _Child:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._new_child()

    def _checkin(self, child: _Child) -> None:
        with self._lock:
            if not self._closed and child.proc.poll() is None and len(self._idle) < self.workers:
                self._idle.append(child)
                return
        child.kill()

    def _replace(self) -> None:
        """A fresh child for the one just killed, started now so the next task finds it ready."""
        child = self._new_child()
        self._checkin(child)

    def _semaphore(self, table: dict[Any, asyncio.Semaphore], key: Any, size: int) -> asyncio.Semaphore:
        found = table.get(key)
        if found is None:
            if len(table) > 1000:  # forget idle keys now and then
                for k in [k for k, s in table.items() if not s.locked()]:
                    del table[k]
            found = table[key] = asyncio.Semaphore(size)
        return found

    async def run(self, fn: Callable[..., T], *args: Any, seconds: float, gate: Hashable | None = None) -> T:
        """``fn(*args)`` in a child (``fn`` must be importable there), killed after ``seconds``.
        Raises LimitExceeded; an exception ``fn`` raises comes back as itself."""
        loop = id(asyncio.get_running_loop())
        if gate is None:
            async with self._semaphore(self._slots, loop, self.workers):
                return await self._run(fn, args, seconds)
        async with self._semaphore(self._gates, (loop, gate), 1), self._semaphore(self._slots, loop, self.workers):
            return await self._run(fn, args, seconds)

    async def _run(self, fn: Callable[..., T], args: tuple[Any, ...], seconds: float) -> T:
        payload = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        child = self._checkout()
        try:
            if not child.ready:
                await asyncio.wait_for(asyncio.to_thread(child.wait_ready), START_TIMEOUT_SECONDS)
            answer = await asyncio.wait_for(asyncio.to_thread(child.call, payload), seconds)
        except TimeoutError:
            child.kill()  # ends the thread's blocking read too
            threading.Thread(target=self._replace, daemon=True).start()
            raise LimitExceeded("time", f"took longer than {seconds:g} s") from None
        except (EOFError, OSError):
            code = child.proc.poll()
            child.kill()
            log.warning("%s: a child process ended abnormally (exit code %s)", self.name, code)
            raise LimitExceeded("crash", f"stopped its process (more than {self.memory_mb} MB, or a crash)") from None
        except BaseException:  # cancelled while the child works: its state is unknown
            child.kill()
            raise
        self._checkin(child)
        ok, value = pickle.loads(answer)
        if ok:
            return value
        if isinstance(value, MemoryError):
            raise LimitExceeded("memory", f"needed more than {self.memory_mb} MB of memory")
        raise value

    def warm(self) -> None:
        """Start the children now (they import their modules in the background)."""
        with self._lock:
            missing = self.workers - len(self._idle)
        for _ in range(max(0, missing)):
            self._checkin(self._new_child())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()
