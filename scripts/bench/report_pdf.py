"""Benchmark: how many report PDFs one app process renders per minute through the real path, and how
responsive the app stays meanwhile.

    PYTHONPATH=. .venv/bin/python scripts/bench/report_pdf.py [--reports 12] [--body large|small]

Starts the real app (``reflex run --env prod``, one port) with its in-process job worker, as
``./scripts/run`` does: the PDFs are rendered by the app's own worker, in the app's process (the
renderer awaits Chromium, whose processes run at ``pdf_chromium_nice``). This process saves the
reports through the service (``store.save_report`` queues each PDF job in its transaction) and
waits until every PDF is stored.

Meanwhile a user's Chromium (another browser than the renderer's) keeps the project's Reports tab
open and clicks something cheap — the report kind, whose description the server sends back — and
times, in the page, the round trip from the click to the new text on screen (``CLICK_JS``, as in
scripts/bench/live.py). The same clicks are timed first with nothing rendering.

Bodies: ``large`` is the 145,000-character flagship report (30 code blocks, 10 wide tables, two
Mermaid diagrams, ~39 pages); ``small`` is a two-page report with one diagram. Figures are printed,
not asserted; the machine's cores are shared, so the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.async_api import Page, async_playwright
from sqlalchemy import func
from sqlmodel import col, select

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.models.report import PdfStatus, Report, ReportKind
from nyx_app.services import auth, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.reports import store
from nyx_app.settings import get_settings
from scripts.bench.live import CHROMIUM_ARGS, PASSWORD, free_port, signed_in, start_app
from tests.fakes.reports import flagship_report

SMALL = """# A small report

Two pages of text with one diagram, like a short project overview.

```mermaid
flowchart LR
  a["Notes"] --> b["Action points"] -. each item .-> c["Plans"] --> d["Synthesis"]
```

""" + "\n\n".join(f"## Section {i}\n\n" + "A sentence of the report, neither short nor long. " * 12 for i in range(12))

# Alternate the report kind and wait until the server's description of it is on screen.
CLICK_JS = """
async () => {
  const about = () => document.querySelector('#report-kind-about').textContent;
  const before = about();
  const next = before.startsWith('Notes') ? '#kind-summary' : '#kind-overview';
  const started = performance.now();
  document.querySelector(next).click();
  await new Promise(done => {
    const check = () => (about() !== before) ? done() : requestAnimationFrame(check);
    check();
  });
  return performance.now() - started;
}
"""


async def workspace() -> tuple[TenantContext, str, str]:
    stamp = time.time_ns()
    email = f"pdf{stamp}@example.com"
    token = await auth.register(email, PASSWORD, "Bench", f"PDF {stamp}")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        project = await projects.create_project(s, ctx, "PDF bench")
    return ctx, str(project.id), email


async def clicks_for(page: Page, seconds: float | None, until: asyncio.Event | None = None) -> list[float]:
    """Click every 0.5 s for ``seconds``, or until ``until`` is set."""
    times: list[float] = []
    deadline = time.monotonic() + seconds if seconds else None
    while not (until and until.is_set()) and not (deadline and time.monotonic() > deadline):
        times.append(await page.evaluate(CLICK_JS))
        await asyncio.sleep(0.5)
    return times


def click_text(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    median = statistics.median(ordered)
    return f"median {median:.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms ({len(ordered)} clicks)"


async def ready_count(ctx: TenantContext, project_id: str) -> tuple[int, int]:
    async with transaction(ctx.tenant_id) as s:
        rows = await s.exec(
            select(Report.pdf_status, func.count())
            .where(col(Report.project_id) == uuid.UUID(project_id))
            .group_by(col(Report.pdf_status))
        )
        counts = {str(status): int(n) for status, n in rows.all()}
    return counts.get(PdfStatus.READY.value, 0), counts.get(PdfStatus.FAILED.value, 0)


async def main(args: argparse.Namespace) -> None:
    body = flagship_report() if args.body == "large" else SMALL
    port = free_port()
    app = start_app(port, worker=True)
    base = f"http://127.0.0.1:{port}"
    try:
        ctx, project_id, email = await workspace()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = await signed_in(browser, base, email)
            page = await context.new_page()
            await page.goto(f"/projects/{project_id}?tab=reports")
            await page.wait_for_selector("#report-kind-about")
            await clicks_for(page, 3)  # warm up the page and the websocket
            idle = await clicks_for(page, 15)
            print(f"cores: {os.cpu_count()}, body: {args.body} ({len(body):,} characters of Markdown)")
            print(f"click → page updated, nothing rendering:  {click_text(idle)}  (load {os.getloadavg()[0]:.1f})")

            done = asyncio.Event()
            clicking = asyncio.create_task(clicks_for(page, None, done))
            load = os.getloadavg()[0]
            started = time.monotonic()
            firsts: list[float] = []
            for n in range(args.reports):
                async with transaction(ctx.tenant_id, ctx.user_id) as s:
                    await store.save_report(
                        s, ctx, project_id=uuid.UUID(project_id), kind=ReportKind.RUN, title=f"Bench {n + 1}", body=body
                    )
            saved = time.monotonic() - started
            seen = 0
            while True:
                ready, failed = await ready_count(ctx, project_id)
                if ready > seen:
                    firsts += [time.monotonic() - started] * (ready - seen)
                    seen = ready
                if ready + failed >= args.reports:
                    break
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            done.set()
            during = await clicking
            steady = (len(firsts) - 1) / (firsts[-1] - firsts[0]) * 60 if len(firsts) > 1 else 0.0
            print(f"{args.reports} reports saved in {saved:.1f} s; PDFs ready {ready}, failed {failed}")
            print(f"first PDF after {firsts[0]:.1f} s (includes Chromium's launch and Mermaid's load in the app)")
            print(
                f"throughput: {args.reports / elapsed * 60:.1f} PDFs/min overall, {steady:.1f} PDFs/min once warm "
                f"(at most {get_settings().pdf_max_concurrent_renders} renders at once, chromium nice "
                f"{get_settings().pdf_chromium_nice}; load {load:.1f} at the start)"
            )
            print(f"click → page updated, while rendering:   {click_text(during)}")
            await browser.close()
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
        await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=12)
    parser.add_argument("--body", choices=("large", "small"), default="large")
    parsed = parser.parse_args()
    prepare(get_settings())
    asyncio.run(main(parsed))
