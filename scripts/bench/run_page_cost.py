"""What one update of the run page costs the browser, against the floor of receiving it at all.

    PYTHONPATH=. .venv/bin/python scripts/bench/run_page_cost.py [--repeats 3] [--steps 40] [--items 200]

Starts the real app (``reflex run --env prod``, its in-process worker off) on its own database
(nyx_bench) as ``live.py`` does; this process executes the runs with the real engine against the
fake LLM while one Chromium tab watches the run page.

C1  A chain of ``--steps`` steps (each naming the previous one): the page's work per websocket
    update, from DevTools (CDP ``Performance.getMetrics`` before and after the run: ScriptDuration,
    RecalcStyleDuration, LayoutDuration; paint, pre-paint, layer and raster work from a trace of
    the renderer's ``devtools.timeline`` events), divided by the updates the tab received. The same
    run watched with the page hidden (``body { display: none }`` injected after it loaded) is the
    floor: receiving the update, applying it to the state and rendering nothing visible.
    Printed: medians over ``--repeats`` runs of each, and visible / floor (goal <= 1.5x).
C2  The same with a fan-out step of ``--items`` items whose list is open on the page (its first
    page of items shown) while the items run.
Figures are printed, not asserted. The machine's load (``uptime``) is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_LLM_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.async_api import async_playwright

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import executor
from nyx_app.settings import get_settings
from scripts.bench import live
from tests.fakes.llm_server import FakeLLM, respond

METRICS = {"script": "ScriptDuration", "style": "RecalcStyleDuration", "layout": "LayoutDuration"}
# Timeline events of the renderer that draw (its main thread and its raster workers); no GPU here.
PAINT = {"Paint", "PrePaint", "Layerize", "UpdateLayerTree", "RasterTask", "Decode Image"}
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]
HIDE = "body { display: none !important; }"
OPEN_ITEMS_JS = """
() => {
  const button = document.querySelector('#step-plan .toggle-items');
  if (!button) return false;
  if (button.textContent.trim() === 'Show items') button.click();
  return true;
}
"""


async def metrics(cdp: Any) -> dict[str, float]:
    got = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    return {short: float(got.get(name, 0.0)) for short, name in METRICS.items()}


def painting_ms(trace: bytes, pid: int | None) -> float:
    """Time spent drawing in the watched tab's renderer (complete events, microseconds)."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    total = 0.0
    for e in events:
        if e.get("ph") == "X" and e.get("name") in PAINT and (pid is None or e.get("pid") == pid):
            total += float(e.get("dur", 0))
    return total / 1000


def renderer_pid(trace: bytes) -> int | None:
    """The process of the traced page (the one that ran its frames' script)."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    for e in events:
        if e.get("name") == "TracingStartedInBrowser":
            frames = e.get("args", {}).get("data", {}).get("frames", [])
            if frames and frames[0].get("processId"):
                return int(frames[0]["processId"])
    return None


async def one_run(  # type: ignore[no-untyped-def]
    browser, base: str, ctx: TenantContext, project_id: str, email: str, definition: dict, *, hidden: bool,
    fan_out: bool,
) -> dict[str, float]:  # fmt: skip
    """Per-update cost (ms) of one watched run: script, style, layout, paint (and their sum)."""
    run_id = await live.new_run(ctx, project_id, definition)
    context = await live.signed_in(browser, base, email)
    page = await context.new_page()
    frames: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(len(data))))
    first = definition["steps"][0]["key"]
    await page.goto(f"/projects/{project_id}/runs/{run_id}")
    await page.wait_for_selector(f"#step-{first} .step-status")
    if hidden:
        await page.add_style_tag(content=HIDE)
    cdp = await context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    running = asyncio.create_task(executor.execute(ctx.tenant_id, uuid.UUID(run_id)))
    if fan_out:  # measured from the moment the items' list is open
        while not running.done() and not await page.evaluate(OPEN_ITEMS_JS):
            await asyncio.sleep(0.02)
        await page.wait_for_function(
            "() => document.querySelector('#step-plan .toggle-items')?.textContent.trim() === 'Hide items'"
        )
    await asyncio.sleep(0.2)  # what the click or the load drew is not counted
    before, count = await metrics(cdp), len(frames)
    await browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    await running
    await asyncio.sleep(1.0)  # the last updates arrive and are drawn
    after, updates = await metrics(cdp), len(frames) - count
    trace = await browser.stop_tracing()
    await context.close()
    cost = {k: (after[k] - before[k]) * 1000 / max(updates, 1) for k in METRICS}
    cost["paint"] = painting_ms(trace, renderer_pid(trace)) / max(updates, 1)
    cost["total"] = sum(cost.values())
    cost["updates"] = updates
    return cost


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def show(label: str, shown: dict[str, float], floor: dict[str, float], repeats: int) -> None:
    def line(name: str, c: dict[str, float]) -> str:
        return (
            f"      {name:<8} total {c['total']:6.2f} ms/update  (script {c['script']:.2f}, style {c['style']:.2f}, "
            f"layout {c['layout']:.2f}, paint+raster {c['paint']:.2f}; {c['updates']:.0f} updates)"
        )

    print(f"{label}  (medians of {repeats} runs each)")
    print(line("visible", shown))
    print(line("hidden", floor))
    print(f"      ratio visible / hidden floor: {shown['total'] / floor['total']:.2f}x   (goal <= 1.5x)")


async def main(args: argparse.Namespace) -> None:
    fake = FakeLLM().start()
    items = args.items

    def model(prompt: str) -> str:
        if prompt == "LIST":
            return json.dumps([f"item {i}" for i in range(1, items + 1)])
        return "done: " + prompt[-30:] + "\n\n" + " ".join(f"word{n}" for n in range(60))

    fake.script(live.MODEL, then=respond(model, latency=0.15))
    (live.ROOT / "test-artifacts").mkdir(exist_ok=True)
    port = live.free_port()
    app = live.start_app(port)
    base = f"http://127.0.0.1:{port}"
    chain = {
        "steps": [{"key": "s0", "prompt": "go"}]
        + [{"key": f"s{i}", "prompt": f"{{{{steps.s{i - 1}.output}}}} {i}"} for i in range(1, args.steps)]
    }
    fan = {
        "steps": [
            {"key": "points", "prompt": "LIST", "output": "json_list"},
            {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
        ]
    }
    try:
        ctx, project_id, email = await live.workspace(fake)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=live.CHROMIUM_ARGS)
            print(f"cores: {os.cpu_count()}, load: {os.getloadavg()}, database: {get_settings().database_name}")
            # Warm-up: the first run of each process imports and compiles what later runs reuse.
            await one_run(browser, base, ctx, project_id, email, chain, hidden=False, fan_out=False)
            for label, definition, fan_out in (
                (f"C1  a {args.steps}-step run, one tab", chain, False),
                (f"C2  a run of {items} fan-out items, their list open, one tab", fan, True),
            ):
                shown: list[dict[str, float]] = []
                floor: list[dict[str, float]] = []
                for _ in range(args.repeats):  # interleaved: the machine's load changes under both alike
                    shown.append(await one_run(browser, base, ctx, project_id, email, definition, hidden=False,
                                               fan_out=fan_out))  # fmt: skip
                    floor.append(await one_run(browser, base, ctx, project_id, email, definition, hidden=True,
                                               fan_out=fan_out))  # fmt: skip
                show(label, median_of(shown), median_of(floor), args.repeats)
            print(f"load after: {os.getloadavg()}")
            await browser.close()
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
        fake.stop()
        await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=live.CHAIN_MAX)
    parser.add_argument("--items", type=int, default=200)
    parsed = parser.parse_args()
    prepare(get_settings())
    asyncio.run(main(parsed))
