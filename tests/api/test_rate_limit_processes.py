"""The per-workspace rate limit holds across processes: two app processes (uvicorn, each with its
own connection pool and no shared memory) answer one workspace's calls, and exactly the limit of
them get through in a minute; the rest are told to wait."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx

from nyx_app.settings import ROOT_DIR
from tests.api.api_helpers import bearer, token_for
from tests.api.live_server import free_port
from tests.factories import TenantFactory

LIMIT = 20
CALLS_EACH = 15


@contextlib.contextmanager
def app_process(port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "NYX_API_RATE_LIMIT_PER_MINUTE": str(LIMIT), "PYTHONPATH": str(ROOT_DIR)}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "nyx_app.api:api",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{base}/api/v1/openapi.json")).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise AssertionError(f"{base} did not start")


async def test_two_processes_share_one_count(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    auth = bearer(await token_for(acct, ["read"]))
    ports = [free_port(), free_port()]
    with app_process(ports[0]) as first, app_process(ports[1]) as second:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        await asyncio.gather(ready(bases[0], first), ready(bases[1], second))
        if datetime.now(UTC).second > 40:  # start inside one minute: the count starts again at each minute
            await asyncio.sleep(61 - datetime.now(UTC).second)
        async with httpx.AsyncClient(headers=auth, timeout=60) as client:
            answers = await asyncio.gather(
                *[client.get(f"{base}/api/v1/me") for base in bases for _ in range(CALLS_EACH)]
            )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * LIMIT + [429] * (2 * CALLS_EACH - LIMIT)
    served_by = {a.url.port for a in answers if a.status_code == 200}
    assert len(served_by) == 2  # both processes let calls through, out of one count
    refused = [a for a in answers if a.status_code == 429]
    assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in refused)
