"""P12: the public API's reads against the same reads through a Reflex event, and a step's commit to
its Server-Sent Event at an HTTP client.

    PYTHONPATH=. .venv/bin/python scripts/bench/api.py [--samples 200] [--steps 40]

Starts the real app (``reflex run --env prod``, its in-process worker off; rate limit raised so the
bench is not throttled) on its own database (nyx_bench). In the same run:

- API: ``GET /api/v1/projects`` (a page of 25 of 30 projects) and ``GET /api/v1/runs/{id}`` with a
  token, over one kept-alive HTTP connection: p50 / p95 of the whole round trip (client's clock);
- Reflex: the same two reads as the pages do them, through the websocket as the browser speaks it
  (a socket.io client sending the dashboard's and the run page's ``load`` events): from sending the
  event to its state update, p50 / p95;
- SSE: this process plays the worker and executes a chain of ``--steps`` steps with the real engine
  against the fake LLM, stamping when each step's success is committed; an HTTP client follows
  ``/runs/{id}/events`` and stamps each ``step.succeeded``; p50 / p95 / max of the difference
  (both clocks are this machine's). Goal: p95 ≤ 50 ms, like the browser.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_LLM_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
os.environ["NYX_API_RATE_LIMIT_PER_MINUTE"] = "1000000"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx
import socketio
from sqlmodel import select

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.models.run import StepRun
from nyx_app.services import api_tokens, projects
from nyx_app.services.engine import executor, record
from nyx_app.settings import get_settings
from scripts.bench import live
from tests.fakes.llm_server import FakeLLM, respond

CHAIN_MAX = 40
NAMESPACE = "/_event"  # Reflex's websocket: its socket.io namespace is its path


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<44} n={len(values):<4} p50 {statistics.median(values):7.2f} ms   p95 {pct(values, 0.95):7.2f} ms"
        f"   max {max(values):7.2f} ms"
    )


async def api_reads(base: str, token: str, run_id: str, samples: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"projects": [], "run": []}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(20):
            await client.get("/api/v1/projects")
            await client.get(f"/api/v1/runs/{run_id}")
        for _ in range(samples):
            for key, path in (("projects", "/api/v1/projects"), ("run", f"/api/v1/runs/{run_id}")):
                started = time.perf_counter()
                response = await client.get(path)
                out[key].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
    return out


class ReflexClient:
    """What the browser's state.js does, as a socket.io client: connect with a token, send an event,
    receive its state update."""

    def __init__(self, base: str, cookie: str) -> None:
        self.base, self.cookie = base, cookie
        self.sio = socketio.AsyncClient(reconnection=False)
        self.updates: asyncio.Queue[dict] = asyncio.Queue()
        self.sio.on("event", self._on_update, namespace=NAMESPACE)

    async def _on_update(self, data: object) -> None:
        await self.updates.put(data if isinstance(data, dict) else json.loads(str(data)))

    async def connect(self) -> None:
        token = str(uuid.uuid4())
        await self.sio.connect(
            f"{self.base}?token={token}",
            socketio_path="/_event",
            namespaces=[NAMESPACE],
            transports=["websocket"],
            headers={"Cookie": self.cookie, "Origin": self.base},
        )

    async def event(self, name: str, path: str, query: dict[str, str]) -> float:
        while not self.updates.empty():
            self.updates.get_nowait()
        started = time.perf_counter()
        router_data = {"pathname": path, "query": query, "asPath": path}
        await self.sio.emit("event", {"name": name, "payload": {}, "router_data": router_data}, namespace=NAMESPACE)
        while True:
            update = await asyncio.wait_for(self.updates.get(), 30)
            if update.get("delta"):
                return (time.perf_counter() - started) * 1000


async def reflex_reads(base: str, cookie: str, project_id: str, run_id: str, samples: int) -> dict[str, list[float]]:
    from nyx_app.pages.dashboard import DashboardState
    from nyx_app.pages.run_state import RunState

    dashboard = f"{DashboardState.get_full_name()}.load"
    run_page = f"{RunState.get_full_name()}.load"
    run_path, run_query = f"/projects/{project_id}/runs/{run_id}", {"project_id": project_id, "run_id": run_id}
    client = ReflexClient(base, cookie)
    await client.connect()
    out: dict[str, list[float]] = {"projects": [], "run": []}
    try:
        for _ in range(20):
            await client.event(dashboard, "/", {})
            await client.event(run_page, run_path, run_query)
        for _ in range(samples):
            out["projects"].append(await client.event(dashboard, "/", {}))
            out["run"].append(await client.event(run_page, run_path, run_query))
    finally:
        await client.sio.disconnect()
    return out


async def sse_latency(base: str, token: str, ctx, project_id: str, steps: int) -> list[float]:  # type: ignore[no-untyped-def]
    chain = [{"key": "s1", "name": "Step 1", "prompt": "Go"}]
    for n in range(2, steps + 1):
        prompt = "Next {{steps.s%d.output}}" % (n - 1)  # noqa: UP031 (braces of the template)
        chain.append({"key": f"s{n}", "name": f"Step {n}", "prompt": prompt, "depends_on": [f"s{n - 1}"]})
    definition = {"steps": chain}
    run_id = await live.new_run(ctx, project_id, definition)
    arrived: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        ready = asyncio.Event()

        async def follow() -> None:
            async with client.stream("GET", f"/api/v1/runs/{run_id}/events") as response:
                event = ""
                async for raw in response.aiter_lines():
                    if raw.startswith("event:"):
                        event = raw[6:].strip()
                        if event == "step.queued":
                            ready.set()
                    elif raw.startswith("data:") and event == "step.succeeded":
                        arrived[json.loads(raw[5:])["step"]] = time.time() * 1000
                    elif raw.startswith("data:") and event == "run.finished":
                        return

        following = asyncio.create_task(follow())
        await asyncio.wait_for(ready.wait(), 30)
        await executor.execute(ctx.tenant_id, uuid.UUID(run_id))
        await asyncio.wait_for(following, 60)
    async with transaction(ctx.tenant_id) as s:
        rows = {r.key: str(r.id) for r in await s.exec(select(StepRun).where(StepRun.run_id == uuid.UUID(run_id)))}
    return [arrived[key] - live.STAMPS[rows[key]] for key in arrived if rows.get(key) in live.STAMPS]


async def main(args: argparse.Namespace) -> None:
    fake = FakeLLM().start()
    fake.script(live.MODEL, then=respond(lambda prompt: "done " + prompt[-30:], latency=0.05))
    (live.ROOT / "test-artifacts").mkdir(exist_ok=True)
    port = live.free_port()
    app = live.start_app(port)
    base = f"http://127.0.0.1:{port}"
    try:
        ctx, project_id, email = await live.workspace(fake)
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            for n in range(29):
                await projects.create_project(s, ctx, f"Bench project {n}", "A project to list")
            token = (await api_tokens.create_token(s, ctx, name="bench", scopes=["read"])).token
        record.Recorder.applying = live.stamped_applying  # type: ignore[method-assign]
        record.Success.landed = live.stamped_landed  # type: ignore[method-assign]
        finished = await live.new_run(ctx, project_id, {"steps": [{"key": "a", "name": "A", "prompt": "Hi"}]})
        await executor.execute(ctx.tenant_id, uuid.UUID(finished))
        async with httpx.AsyncClient(base_url=base) as web:
            login = await web.post(
                "/api/auth/login", data={"email": email, "password": live.PASSWORD}, headers={"Origin": base}
            )
            assert login.status_code == 303, login.status_code
            cookie = f"nyx_session={web.cookies['nyx_session']}"
        print(f"cores: {os.cpu_count()}, database: {get_settings().database_name}, samples: {args.samples}")
        over_api = await api_reads(base, token, finished, args.samples)
        over_reflex = await reflex_reads(base, cookie, project_id, finished, args.samples)
        print(line("API  GET /api/v1/projects (25 of 30)", over_api["projects"]))
        print(line("Reflex dashboard load (the same 30 projects)", over_reflex["projects"]))
        print(line("API  GET /api/v1/runs/{id}", over_api["run"]))
        print(line("Reflex run page load (the run and its steps)", over_reflex["run"]))
        await sse_latency(base, token, ctx, project_id, 5)  # warm-up
        latencies = await sse_latency(base, token, ctx, project_id, min(args.steps, CHAIN_MAX))
        print(line("SSE  step committed -> step.succeeded at client", latencies))
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
        fake.stop()
        await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--steps", type=int, default=40)
    parsed = parser.parse_args()
    prepare(get_settings())
    asyncio.run(main(parsed))
