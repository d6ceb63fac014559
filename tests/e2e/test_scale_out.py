"""Scale-out on loopback (tests/e2e/cluster.py: Redis, 2 app processes behind haproxy, 2 job
workers, moto S3): a browser watches a run executed by a worker while a second tab is served by the
other app process; the process serving the first tab is killed mid-run, then the worker running
the run. The first tab reconnects through the balancer and both tabs end showing the same, exact
final state, through a Redis restart (empty) on the way: see the test's docstring.
Skipped, saying why, on a machine without redis-server or haproxy (scripts/lib.sh installs them).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nyx_app.db.urls import admin_url
from nyx_app.settings import Settings
from tests.e2e.cluster import SCALE_DATABASE, Cluster, cluster
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import create_note, create_project, open_project, register
from tests.fakes.flagship import flagship
from tests.fakes.images import image_bytes
from tests.fakes.llm_server import FakeLLM, respond

MISSING = [tool for tool in ("redis-server", "redis-cli", "haproxy") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"not installed: {', '.join(MISSING)} (scripts/lib.sh ensure_scale_out)"),
]

MODEL = "claude-sonnet-4-6"
RUN_TIMEOUT = 120_000
UI_TIMEOUT = 30_000  # 2 app processes, 2 workers, Redis and a browser share 2 cores
RECORD_STATUSES = """() => {
  window.__seen = new Set();
  const record = () => document.querySelectorAll('.step-card').forEach((card) => {
    const status = card.querySelector('.step-status');
    if (status) window.__seen.add(card.id + ':' + status.textContent);
  });
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
  record();
}"""
SHOWN = """() => [...document.querySelectorAll('.step-card')]
  .map(c => c.id + ':' + c.querySelector('.step-status')?.textContent)"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def world(app_env: dict[str, str], moto_endpoint: str) -> Iterator[Cluster]:
    with cluster(app_env, moto_endpoint) as started:
        yield started


@pytest.fixture
def context(browser: Browser, world: Cluster) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=world.url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(30_000)
    console: list[str] = []
    ctx.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}\n"))
    yield ctx
    for n, pg in enumerate(ctx.pages):
        pg.screenshot(path=str(ARTIFACTS / f"scale-tab{n}.png"), full_page=True)
    ctx.close()
    (ARTIFACTS / "scale-browser-console.log").write_text("".join(console))


def _run_row(run_id: str) -> tuple[str, str]:
    """(status, lease holder) of the run, read as the superuser (RLS does not bind it)."""
    url = make_url(admin_url(Settings(database_name=SCALE_DATABASE))).set(database=SCALE_DATABASE)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT status, lease_holder FROM run WHERE id = :id"), {"id": run_id}).one()
            return str(row[0]), str(row[1])
    finally:
        engine.dispose()


def _start_flagship(page: Page, fake: FakeLLM) -> str:
    register(page, "Scale", "Scale team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-scale-out-test-0042")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0042", timeout=UI_TIMEOUT)
    page.goto("/")
    create_project(page, "Scaled")
    open_project(page, "Scaled")
    project_url = page.url
    create_note(page, "Note 1", "The login page needs work.")
    page.locator(".image-drop-zone input[type=file]").set_input_files(
        [{"name": "shot.png", "mimeType": "image/png", "buffer": image_bytes(size=(64, 48))}]
    )
    expect(page.locator(".image-card")).to_have_count(
        1, timeout=UI_TIMEOUT
    )  # stored in S3 (moto) through one app process
    page.goto(project_url)
    # Slow enough to kill two processes mid-run: every answer waits, then streams word by word.
    fake.script(MODEL, then=respond(flagship(13, plan_words=60), latency=1.5, chunk_delay=0.04))
    page.click("#tab-workflows")
    page.click("#create-image-to-implementation")
    expect(page.locator("#estimate-calls")).to_contain_text("LLM calls", timeout=UI_TIMEOUT)
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-title")).to_have_text("Image to implementation", timeout=UI_TIMEOUT)
    return page.url


def test_a_run_survives_its_app_process_its_worker_and_a_redis_restart(
    world: Cluster, context: BrowserContext, fake: FakeLLM
) -> None:
    """The one cluster scenario (each costs minutes on this machine; scripts/bench has the rest).
    Redis holds only browser state (what the pages show, re-read from PostgreSQL): when it restarts
    empty mid-run, the pages keep showing what they showed while it is away (events wait), then
    read the run again by themselves and follow it to the end, without a reload."""
    first = context.new_page()
    run_url = _start_flagship(first, fake)
    run_id = run_url.rstrip("/").rsplit("/", 1)[1]
    # The first tab's websocket is on one app process; the second tab's goes to the other one.
    held = world.holding()
    assert sorted(held.values()) == [0, 1], held
    serving_first = next(name for name, n in held.items() if n == 1)
    second = context.new_page()
    second.goto(run_url)
    expect(second.locator("#run-title")).to_have_text("Image to implementation")
    one_each = {a.name: 1 for a in world.apps}
    for _ in range(3):  # a health check slow under load takes a process out of the balancer for a moment
        if world.holding() == one_each:
            break
        second.reload()
        expect(second.locator("#run-title")).to_have_text("Image to implementation")
    assert world.holding() == one_each, "the two tabs are not on two processes"

    expect(first.locator("#step-enrich .step-status")).to_have_text("done", timeout=RUN_TIMEOUT)
    world.app(serving_first).kill()
    # It reconnects by itself (through the balancer, to the other process) and goes on following.
    first.evaluate(RECORD_STATUSES)
    expect(first.locator("#step-action_points .step-status")).to_have_text("done", timeout=RUN_TIMEOUT)
    assert list(world.holding().values()) == [2]

    status, holder = _run_row(run_id)
    assert status == "running", status
    runner = next(w for w in world.workers if holder.endswith(f"pid {w.proc.pid}"))
    runner.kill()  # mid-fan-out: the other worker takes the run over
    other = next(w for w in world.workers if w is not runner)

    for tab in (first, second):
        tab.evaluate("window.__sameDocument = true")  # gone if the page reloads
    world.stop_redis()
    expect(second.locator("#run-title")).to_have_text("Image to implementation")
    world.start_redis()

    for tab in (first, second):
        expect(tab.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
        expect(tab.locator("#run-progress")).to_have_text("All 5 steps done")
        expect(tab.locator("#step-plan .group-progress")).to_have_text("Items 13/13")
        assert tab.evaluate("window.__sameDocument === true"), "the page reloaded"
    assert first.evaluate(SHOWN) == second.evaluate(SHOWN)
    seen = set(first.evaluate("[...window.__seen]"))
    assert "step-final:done" in seen and len(seen) > 1, seen  # changed live after the reconnect
    assert _run_row(run_id)[1].endswith(f"pid {other.proc.pid}")
    fresh = context.new_page()  # and a new tab, a new session in the empty Redis, shows the same truth
    fresh.goto(run_url)
    expect(fresh.locator("#run-progress")).to_have_text("All 5 steps done")
    assert fresh.evaluate(SHOWN) == first.evaluate(SHOWN)
