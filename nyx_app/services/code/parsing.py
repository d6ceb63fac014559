"""tree-sitter in limited child processes (integrations/limited_pool.py): a hostile file whose
parse loops or swells costs one child, killed at its deadline or memory limit, never the web or
worker process. Files go in batches (one pickled call each) to keep the per-call cost small."""

from __future__ import annotations

import json
import threading

from nyx_app.integrations import code_tags
from nyx_app.integrations.limited_pool import LimitedPool, LimitExceeded
from nyx_app.settings import get_settings

BATCH_FILES = 200
BATCH_BYTES = 4 * 1024 * 1024
FILE_SECONDS = 5.0

_pool: LimitedPool | None = None
_lock = threading.Lock()


def pool() -> LimitedPool:
    global _pool
    with _lock:
        if _pool is None:
            settings = get_settings()
            _pool = LimitedPool(
                "code-map", workers=settings.code_map_workers, memory_mb=settings.code_map_memory_mb,
                nice=settings.sandbox_nice, preload=[code_tags.__name__],
            )  # fmt: skip
        return _pool


def close() -> None:
    global _pool
    with _lock:
        current, _pool = _pool, None
    if current is not None:
        current.close()


def batches(files: list[tuple[str, str, bytes]]) -> list[list[tuple[str, str, bytes]]]:
    out: list[list[tuple[str, str, bytes]]] = [[]]
    size = 0
    for item in files:
        if out[-1] and (len(out[-1]) >= BATCH_FILES or size + len(item[2]) > BATCH_BYTES):
            out.append([])
            size = 0
        out[-1].append(item)
        size += len(item[2])
    return [b for b in out if b]


async def extract(files: list[tuple[str, str, bytes]], gate: object = None) -> list[str]:
    """Symbols of each (language, path, content) as JSON text, in order. A batch past its limits is parsed again
    file by file (each with ``FILE_SECONDS``): the file that is too much gets no symbols and says
    why (``{"error": …}``); the others keep theirs."""
    seconds = get_settings().code_map_batch_seconds
    found: list[str] = []
    for batch in batches(files):
        try:
            found += await pool().run(code_tags.extract_many, batch, seconds=seconds, gate=gate)
            continue
        except LimitExceeded:
            pass
        for item in batch:
            try:
                found += await pool().run(code_tags.extract_many, [item], seconds=FILE_SECONDS, gate=gate)
            except LimitExceeded as exceeded:
                problem = {"defs": [], "refs": {}, "error": f"its symbols were not read: parsing {exceeded}"}
                found.append(json.dumps(problem))
    return found
