"""Benchmarks of live progress: from the engine to the browser's DOM, and what a big run costs the page.

    PYTHONPATH=. .venv/bin/python scripts/bench/live.py [--samples 100] [--tabs 1,20] [--items 200]

Starts the real app (``reflex run --env prod``, its in-process worker off) on its own database
(nyx_bench); this process plays the worker: it executes the runs with the real engine against the
fake LLM, and stamps the moment each step's result is committed. Chromium watches the run page.

P3  From a step's result committed in the worker to its new status in the DOM (a MutationObserver
    stamps Date.now() when the step's badge reads "done"; both clocks are this machine's), for
    ``--samples`` steps, with 1 and with 20 watching tabs: p50 / p95. Also where the machine's CPU
    went while the runs ran (Chromium's renderers, its GPU process, the app, this worker), per
    step and watching tab: browsers and server share the same cores here, unlike in use.
P8  A run with ``--items`` fan-out items watched in one tab: websocket bytes per update (median,
    max) and in total, and the page's responsiveness while it runs (time from a click on
    "Show items" to the items on screen, measured in the browser).
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_LLM_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psutil
from playwright.async_api import BrowserContext, async_playwright
from sqlmodel import select

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.models.run import StepRun
from nyx_app.services import auth, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import events, executor, record
from nyx_app.services.llm import credentials
from nyx_app.services.runs import control
from nyx_app.services.workflows import store
from nyx_app.settings import get_settings
from tests.fakes.llm_server import FakeLLM, respond

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "violet-harbor-kite-91"
MODEL = "claude-sonnet-4-6"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
CHAIN_MAX = 40  # steps per workflow (the definition's limit)

WATCH_JS = """
() => {
  window.__done = {};
  const seen = () => document.querySelectorAll('.step-card').forEach(card => {
    const key = card.id.replace('step-', '');
    const badge = card.querySelector('.step-status');
    if (badge && badge.textContent.trim() === 'done' && !(key in window.__done)) window.__done[key] = Date.now();
  });
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true});
  seen();
}
"""


CLICK_JS = """
async () => {
  const button = () => document.querySelector('#step-plan .toggle-items');
  const before = button().textContent;
  const started = performance.now();
  button().click();
  await new Promise(done => {
    const check = () => (button() && button().textContent !== before) ? done() : requestAnimationFrame(check);
    check();
  });
  return performance.now() - started;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(port: int, *, worker: bool = False) -> subprocess.Popen[bytes]:
    """The app in production mode; ``worker``: with its in-process job worker (off here: this
    process plays the worker)."""
    env = {**os.environ, "NYX_WORKER_IN_PROCESS": str(worker).lower(), "NYX_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "REFLEX_USE_SYSTEM_BUN": "1", "REFLEX_TELEMETRY_ENABLED": "false",
           "PATH": f"{ROOT / '.tools/node_modules/.bin'}:{ROOT / '.venv/bin'}:{os.environ['PATH']}"}  # fmt: skip
    log = open(ROOT / "test-artifacts" / "bench-live-app.log", "wb")  # noqa: SIM115 (closed with the process)
    cmd = ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--backend-port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the app did not start; see test-artifacts/bench-live-app.log")


async def workspace(fake: FakeLLM) -> tuple[TenantContext, str, str]:
    stamp = time.time_ns()
    email = f"live{stamp}@example.com"
    token = await auth.register(email, PASSWORD, "Bench", f"Live {stamp}")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        await credentials.save_key(s, ctx, "anthropic", "sk-bench-000000", fake.anthropic_base)
        project = await projects.create_project(s, ctx, "Live bench")
    return ctx, str(project.id), email


async def new_run(ctx: TenantContext, project_id: str, definition: dict) -> str:
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        wf = await store.create_workflow(s, ctx, project_id, name=f"live {time.time_ns()}")
        await store.save_workflow(s, ctx, wf.id, name=wf.name, description="", definition=definition)
        return str((await control.start_workflow_run(s, ctx, wf.id)).id)


async def signed_in(browser, base: str, email: str) -> BrowserContext:  # type: ignore[no-untyped-def]
    context = await browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    response = await context.request.post(
        "/api/auth/login", form={"email": email, "password": PASSWORD}, headers={"Origin": base}, max_redirects=0
    )
    assert response.status == 303, response.status
    return context


REAL_APPLYING = record.Recorder.applying
REAL_LANDED = record.Success.landed
STAMPS: dict[str, float] = {}  # step row id → wall time (ms) its success was committed


@contextlib.asynccontextmanager
async def stamped_applying(self, event, user_id=None):  # type: ignore[no-untyped-def]
    async with REAL_APPLYING(self, event, user_id) as session:
        yield session
    if isinstance(event, events.StepSucceeded):  # committed
        STAMPS[str(event.row_id)] = time.time() * 1000


def stamped_landed(self):  # type: ignore[no-untyped-def]
    REAL_LANDED(self)
    STAMPS[str(self.row_id)] = time.time() * 1000


def cpu_seconds(app_pid: int) -> Counter[str]:
    """CPU time (user + system) used so far by Chromium's renderers, its GPU process (which
    composites every frame without a GPU), the rest of Chromium, the app and this process."""
    used: Counter[str] = Counter()
    app = {app_pid}
    with contextlib.suppress(psutil.NoSuchProcess):
        app |= {child.pid for child in psutil.Process(app_pid).children(recursive=True)}
    for proc in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
        times, cmdline = proc.info["cpu_times"], " ".join(proc.info["cmdline"] or [])
        if times is None:
            continue
        if proc.pid == os.getpid():
            who = "worker"
        elif proc.pid in app:
            who = "app"
        elif "chrom" in (proc.info["name"] or "") or "chrom" in cmdline:
            who = (
                "renderer" if "--type=renderer" in cmdline else "gpu" if "--type=gpu-process" in cmdline else "chromium"
            )
        else:
            continue
        used[who] += times.user + times.system
    return used


async def p3(  # type: ignore[no-untyped-def]
    browser, base: str, ctx: TenantContext, project_id: str, email: str, samples: int, tabs: int, app_pid: int,
    *, report: bool = True,
) -> None:  # fmt: skip
    stamps = STAMPS
    latencies: list[float] = []
    remaining = samples
    spent: Counter[str] = Counter()
    running_s = 0.0
    contexts = [await signed_in(browser, base, email) for _ in range(tabs)]
    try:
        while remaining > 0:
            n = min(remaining, CHAIN_MAX)
            chain = [{"key": "s0", "prompt": "go"}] + [
                {"key": f"s{i}", "prompt": f"{{{{steps.s{i - 1}.output}}}} {i}"} for i in range(1, n)
            ]
            run_id = await new_run(ctx, project_id, {"steps": chain})
            url = f"/projects/{project_id}/runs/{run_id}"
            pages = []
            for context in contexts:
                page = await context.new_page()
                await page.goto(url)
                await page.wait_for_selector("#step-s0 .step-status")
                await page.evaluate(WATCH_JS)
                pages.append(page)
            before, started = cpu_seconds(app_pid), time.monotonic()
            await executor.execute(ctx.tenant_id, uuid.UUID(run_id))
            await asyncio.sleep(0.3)  # the last updates are drawn
            spent += cpu_seconds(app_pid) - before
            running_s += time.monotonic() - started
            async with transaction(ctx.tenant_id) as s:
                rows = {r.key: str(r.id) for r in await s.exec(select(StepRun).where(StepRun.run_id == run_id))}
            await asyncio.sleep(1.0)  # let the last updates arrive
            for page in pages:
                done = await page.evaluate("() => window.__done")
                latencies += [done[k] - stamps[rows[k]] for k in done if k != "s0" and rows.get(k) in stamps]
                await page.close()
            remaining -= n
    finally:
        for context in contexts:
            await context.close()
    if not report:
        return
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    goal = "50" if tabs == 1 else "150"
    print(f"P3  commit in the worker → status in the DOM, {tabs:>2} tab(s), {len(latencies)} samples: "
          f"p50 {statistics.median(latencies):5.1f} ms   p95 {p95:5.1f} ms   (goal p95 <= {goal} ms)")  # fmt: skip
    per_view = 1000 / (samples * tabs)  # ms per step and watching tab
    cores = os.cpu_count() or 1
    busy = 100 * sum(spent.values()) / (running_s * cores)
    print(f"      CPU per step and tab: renderer {spent['renderer'] * per_view:.1f} ms, GPU process "
          f"{spent['gpu'] * per_view:.1f}, rest of Chromium {spent['chromium'] * per_view:.1f}, app "
          f"{spent['app'] * per_view:.1f}; worker {spent['worker'] * 1000 / samples:.1f} ms per step; "
          f"{busy:.0f}% of {cores} cores busy")  # fmt: skip


async def p8(browser, base: str, ctx: TenantContext, project_id: str, email: str, items: int) -> None:  # type: ignore[no-untyped-def]
    definition = {
        "steps": [
            {"key": "points", "prompt": "LIST", "output": "json_list"},
            {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
        ]
    }
    run_id = await new_run(ctx, project_id, definition)
    context = await signed_in(browser, base, email)
    page = await context.new_page()
    frames: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(len(data))))
    await page.goto(f"/projects/{project_id}/runs/{run_id}")
    await page.wait_for_selector("#step-points .step-status")
    frames.clear()
    running = asyncio.create_task(executor.execute(ctx.tenant_id, uuid.UUID(run_id)))
    clicks: list[float] = []
    while not running.done():
        await asyncio.sleep(1.0)
        if await page.locator("#step-plan .toggle-items").count():
            # Clicked from the page's own script and timed on its clock: from the click to the button
            # showing the new state (Playwright's own click would also wait for layout to settle).
            clicks.append(await page.evaluate(CLICK_JS))
    await running
    await asyncio.sleep(1.0)
    await context.close()
    frames.sort()
    total = sum(frames)
    median, largest = statistics.median(frames) / 1024, frames[-1] / 1024
    print(f"P8  a run of {items} fan-out items in one tab: {len(frames)} websocket updates,")
    print(f"      median {median:.1f} KB, max {largest:.1f} KB, total {total / 1024:.0f} KB")
    if clicks:
        print(
            f"      click on Show/Hide items -> page updated, during the run: median "
            f"{statistics.median(clicks):.0f} ms, max {max(clicks):.0f} ms ({len(clicks)} clicks)"
        )


async def main(args: argparse.Namespace) -> None:
    fake = FakeLLM().start()
    items = args.items

    def model(prompt: str) -> str:
        if prompt == "LIST":
            return json.dumps([f"item {i}" for i in range(1, items + 1)])
        return "done " + prompt[-30:]

    fake.script(MODEL, then=respond(model, latency=0.15))
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    port = free_port()
    app = start_app(port)
    base = f"http://127.0.0.1:{port}"
    try:
        ctx, project_id, email = await workspace(fake)
        # A step's success commits in one of two places (see Recorder.success).
        record.Recorder.applying = stamped_applying  # type: ignore[method-assign]
        record.Success.landed = stamped_landed  # type: ignore[method-assign]
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            print(f"cores: {os.cpu_count()}, database: {get_settings().database_name}")
            # Warm-up: the first run of each process imports and compiles what later runs reuse.
            await p3(browser, base, ctx, project_id, email, 5, 1, app.pid, report=False)
            for tabs in args.tabs:
                await p3(browser, base, ctx, project_id, email, args.samples, tabs, app.pid)
            await p8(browser, base, ctx, project_id, email, items)
            await browser.close()
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
        fake.stop()
        await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--tabs", type=lambda v: [int(x) for x in v.split(",")], default=[1, 20])
    parser.add_argument("--items", type=int, default=200)
    parsed = parser.parse_args()
    prepare(get_settings())
    asyncio.run(main(parsed))
