"""Page benchmark: first render and websocket bytes per load, and browser upload drops.

    PYTHONPATH=. .venv/bin/python scripts/bench/pages.py [--loads 5] [--drops 3] [--save NAME]

Starts the real app the way the browser tests do (`reflex run --env prod`, one port, its own
database `nyx_bench_pages`), seeds a workspace through the services (a project with 200 notes and
1,000 images, 100 finished runs and 50 reports, a note with 20 images, 2,000 memory entries, a
discussion) and drives it with Playwright in Debian's Chromium:

- every signed-in page, to usable: from navigation start (the page's own clock) to the moment what
  the page is for is on screen (a project card, the first note card, all 20 image cards, the run's
  last step, ...), median and max over ``--loads``, goal <= 0.5 s median per page;
- websocket bytes: every frame received on the page's websocket during that load;
- axe-core's violations of each page once loaded: serious or critical, and all (``--no-axe`` skips);
- websocket bytes: every frame received on the page's websocket during that load;
- drops: 20 screenshots (58 MB of PNG) and 5 photos (15 MB of JPEG) given to the note page's drop
  zone; time from handing over the files to all their cards in the gallery.

Results go to scripts/bench/results/pages-NAME.json with --save; the table shows the figures seen
in the issue, the saved "before" run (if there is one) and this run side by side. The machine's two
cores are shared: the CPU seconds the app used are printed beside the wall times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ["NYX_DATABASE_NAME"] = "nyx_bench_pages"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psutil
from playwright.sync_api import Page, sync_playwright

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.settings import get_settings
from scripts.bench import page_fixtures
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _stop, _wait_for

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
# What the issue reported before this work (first render, KB per load; drop to all cards).
SEEN = {
    "project page (200 notes)": {"render_s": 1.85, "ws_kb": 640.0},
    "drop 20 screenshots (58 MB)": {"drop_s": 6.5},
    "drop 5 photos (15 MB)": {"drop_s": 6.0},
}
GOALS = {
    "project page (200 notes)": "<= 1 s, <= 200 KB",
    "drop 20 screenshots (58 MB)": "<= 3 s",
    "drop 5 photos (15 MB)": "<= 1.5 s",
}


class Frames:
    """Bytes received on the page's websockets since the last reset."""

    def __init__(self, page: Page) -> None:
        self.received = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: str | bytes) -> None:
        self.received += len(payload.encode() if isinstance(payload, str) else payload)

    def take(self) -> int:
        value, self.received = self.received, 0
        return value


def _rendered_at(page: Page, condition: str) -> float:
    """Milliseconds since navigation start at which ``condition`` first held (polled per frame)."""
    handle = page.wait_for_function(f"() => ({condition}) ? performance.now() : false", polling="raf", timeout=60_000)
    return float(handle.json_value())


def _settle(page: Page, frames: Frames, quiet_ms: int = 400) -> None:
    """Wait until no websocket frame arrived for ``quiet_ms`` (the load's last deltas included)."""
    last, seen_at = -1, time.monotonic()
    while time.monotonic() - seen_at < quiet_ms / 1000:
        if frames.received != last:
            last, seen_at = frames.received, time.monotonic()
        page.wait_for_timeout(50)


def _q(selector: str) -> str:
    return f"document.querySelector({json.dumps(selector)})"


# Every signed-in page, each with what makes it usable (its data on screen, not the prerendered frame).
PAGES = [
    ("dashboard", "/", _q(".project-card")),
    ("project page (200 notes)", "{project}", _q(".note-card")),
    ("project: workflows", "{project}?tab=workflows", _q(".workflow-row")),
    ("project: runs (100 runs)", "{project}?tab=runs", _q(".history-row")),
    ("project: discussions", "{project}?tab=discussions", _q(".discussion-row")),
    ("project: reports (50 reports)", "{project}?tab=reports", _q(".report-row")),
    ("project: settings", "{project}?tab=settings", _q("#project-model-section")),
    ("note page (20 images)", "{gallery}", "document.querySelectorAll('.image-card').length >= 20"),
    ("note page (5 images)", "{note}", "document.querySelectorAll('.image-card').length >= 5"),
    ("workflow editor", "{workflow}", "document.querySelectorAll('.step-card').length >= 5"),
    ("run page (finished flagship)", "{run}", _q("#step-final .step-output")),
    ("report page (run report)", "{report}", _q("#report-body table")),
    ("discussion", "{discussion}", _q(".message-speaker")),
    ("memory hub (2,000 entries)", "/memory", _q(".memory-card")),
    ("personas", "/personas", _q(".persona-card")),
    ("members", "/settings/members", _q(".member-row")),
    ("providers", "/settings/providers", "(document.querySelector('#month-spent')?.textContent ?? '').includes('$')"),
    ("account", "/settings/account", "document.querySelector('#sessions')?.children.length > 0"),
    ("spend", "/spend", _q("#spend-chart, #spend-empty")),
    ("trash", "/trash", _q("#trash-empty, .trash-row")),
]
PAGE_GOAL_S = 0.5  # median first render to usable, per page


def measure_pages(page: Page, frames: Frames, urls: dict[str, str], loads: int, axe: bool = True) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, url, condition in PAGES:
        renders, sizes = [], []
        for _ in range(loads + 1):  # the first load warms caches and is not counted
            frames.take()
            page.goto(url.format(**urls), wait_until="commit")
            rendered = _rendered_at(page, condition)
            _settle(page, frames)
            renders.append(rendered / 1000)
            sizes.append(frames.take() / 1024)
        renders, sizes = renders[1:], sizes[1:]
        out[name] = {
            "render_s": statistics.median(renders),
            "render_max_s": max(renders),
            "ws_kb": statistics.median(sizes),
        }
        axe_note = ""
        if axe:
            out[name]["axe_blocking"], out[name]["axe_all"], rules = blocking_and_all(page)
            axe_note = f", axe: {out[name]['axe_blocking']} serious/critical of {out[name]['axe_all']} {rules}"
        took = f"{out[name]['render_s']:.2f} s (max {max(renders):.2f})"
        print(f"  {name}: {took}, {out[name]['ws_kb']:.0f} KB{axe_note}")
    return out


def blocking_and_all(page: Page) -> tuple[int, int, list[str]]:
    """axe-core violations of the page as loaded: (serious or critical, all, their rules), counted
    by rule."""
    from tests.e2e.axe import BLOCKING, violations

    found = violations(page)
    return sum(1 for v in found if v.impact in BLOCKING), len(found), [f"{v.impact} {v.id}" for v in found]


_WATCH_CARDS = """() => {
  window.__cards = [];
  const count = () => document.querySelectorAll('.image-card').length;
  const start = count();
  new MutationObserver(() => {
    const n = count() - start;
    if (n > window.__cards.length) window.__cards.push(...Array(n - window.__cards.length).fill(performance.now()));
  }).observe(document.body, {childList: true, subtree: true});
  window.__dropped = performance.now();
}"""


def measure_drop(page: Page, note_urls: list[str], files: list[Path]) -> dict[str, float]:
    """Each drop on a note of its own; the time from handing over the files to the last card, and
    (in the page's clock) when the first card showed."""
    times, firsts = [], []
    for url in note_urls:
        page.goto(url)
        page.wait_for_selector("#note-title")
        zone = page.locator(".image-drop-zone input[type=file]").first
        page.evaluate(_WATCH_CARDS)
        start = time.perf_counter()
        zone.set_input_files(files)  # paths: the browser reads the files itself
        page.wait_for_function(
            f"() => document.querySelectorAll('.image-card').length >= {len(files)}", polling="raf", timeout=120_000
        )
        times.append(time.perf_counter() - start)
        firsts.append(page.evaluate("() => (window.__cards[0] - window.__dropped) / 1000"))
    print(
        f"  {len(files)} files: "
        + ", ".join(f"{t:.2f} s (first card {f:.2f} s)" for t, f in zip(times, firsts, strict=True))
    )
    return {"drop_s": statistics.median(times), "drop_max_s": max(times), "first_card_s": statistics.median(firsts)}


def start_app(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    tools = f"{ROOT / '.tools/node_modules/.bin'}:{ROOT / '.venv/bin'}"
    env.update(
        PATH=f"{tools}:{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        NYX_PUBLIC_URL=f"http://127.0.0.1:{port}",
        # The 50 seeded reports' PDFs would be rendered while pages are timed: no worker here.
        NYX_WORKER_IN_PROCESS="false",
    )
    cmd = ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--backend-port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    try:
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in tree:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def run(loads: int, drops: int, *, pages: bool = True, axe: bool = True) -> dict[str, dict]:
    prepare(get_settings(), recreate=True)

    async def seed() -> page_fixtures.Seeded:
        try:
            return await page_fixtures.seed()
        finally:
            await dispose_engines()

    started = time.perf_counter()
    seeded = asyncio.run(seed())
    print(f"seeded in {time.perf_counter() - started:.1f} s")
    screenshots = page_fixtures.drop_files("screenshot", 20)
    photos = page_fixtures.drop_files("photo", 5)
    mb = sum(p.stat().st_size for p in screenshots) / 1e6, sum(p.stat().st_size for p in photos) / 1e6
    print(f"drops: 20 screenshots {mb[0]:.1f} MB, 5 photos {mb[1]:.1f} MB")

    port = _free_port()
    log = ROOT / "test-artifacts" / "bench-pages-app.log"
    log.parent.mkdir(exist_ok=True)
    proc = start_app(port, log)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict] = {}
    try:
        _wait_for(f"{base}/ping", proc, log)
        _wait_for(f"{base}/login", proc, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # bypass_csp: axe-core is injected into each page after its loads are measured.
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, bypass_csp=True)
            page = context.new_page()
            frames = Frames(page)
            page.goto("/login")
            page.fill("#email", seeded.email)
            page.fill("#password", page_fixtures.PASSWORD)
            page.click("#login-submit")
            page.wait_for_selector("#create-project")
            urls = {
                "project": f"/projects/{seeded.project_id}",
                "gallery": seeded.gallery_note_url,
                "note": seeded.note_url,
                "workflow": seeded.workflow_url,
                "run": seeded.run_url,
                "report": seeded.report_url,
                "discussion": seeded.discussion_url,
            }
            if pages:
                cpu = _cpu_seconds(proc)
                results.update(measure_pages(page, frames, urls, loads, axe))
                results["pages cpu"] = {"cpu_s": _cpu_seconds(proc) - cpu}
            targets = seeded.upload_note_urls
            for name, files, chosen in (
                ("drop 20 screenshots (58 MB)", screenshots, targets[:drops]),
                ("drop 5 photos (15 MB)", photos, targets[drops : 2 * drops]),
            ):
                cpu = _cpu_seconds(proc)
                results[name] = measure_drop(page, chosen, files)
                results[name]["cpu_s"] = (_cpu_seconds(proc) - cpu) / drops
            browser.close()
    finally:
        _stop(proc)
    return results


def _cell(entry: dict | None) -> str:
    if not entry:
        return "-"
    if "drop_s" in entry:
        cpu = f", app CPU {entry['cpu_s']:.1f} s" if "cpu_s" in entry else ""
        maximum = f" (max {entry['drop_max_s']:.2f})" if "drop_max_s" in entry else ""
        return f"{entry['drop_s']:.2f} s{maximum}{cpu}"
    if "render_s" in entry:
        maximum = f" (max {entry['render_max_s']:.2f})" if "render_max_s" in entry else ""
        axe = f", axe {entry['axe_blocking']}/{entry['axe_all']}" if "axe_all" in entry else ""
        return f"{entry['render_s']:.2f} s{maximum}, {entry['ws_kb']:.0f} KB{axe}"
    return f"app CPU {entry['cpu_s']:.1f} s"


def report(now: dict[str, dict], before: dict[str, dict] | None) -> None:
    """The table; a page's cell reads "median (max), KB per load, axe serious+critical/all rules"."""
    rows = [name for name, _, _ in PAGES] + ["pages cpu", *list(SEEN)[1:]]
    header = ("", "seen (issue)", "before (measured)", "now", "goal")
    table = [header] + [
        (
            name,
            _cell(SEEN.get(name)),
            _cell((before or {}).get(name)),
            _cell(now.get(name)),
            GOALS.get(name, f"<= {PAGE_GOAL_S} s" if name != "pages cpu" else ""),
        )
        for name in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=5, help="loads per page (after one warm-up load)")
    parser.add_argument("--drops", type=int, default=3, choices=range(1, 7), help="drops of each kind")
    parser.add_argument("--drops-only", action="store_true", help="measure only the upload drops")
    parser.add_argument("--no-axe", action="store_true", help="do not count axe-core violations per page")
    parser.add_argument("--save", help="write the results to results/pages-SAVE.json")
    parser.add_argument("--before", default="before", help="the saved run to compare with (results/pages-X.json)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    now = run(args.loads, args.drops, pages=not args.drops_only, axe=not args.no_axe)
    # Other people's work on the shared cores shows in the wall times; say how busy it was.
    now["machine"] = {"load_before": load_before, "load_after": os.getloadavg()[0]}
    print(f"load average (1 min) before {load_before:.1f}, after {now['machine']['load_after']:.1f}")
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        payload = {"commit": commit.stdout.strip(), "cores": os.cpu_count(), "results": now}
        (RESULTS / f"pages-{args.save}.json").write_text(json.dumps(payload, indent=2) + "\n")
    before_file = RESULTS / f"pages-{args.before}.json"
    before = (
        json.loads(before_file.read_text())["results"] if before_file.exists() and args.save != args.before else None
    )
    print()
    report(now, before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
