"""The app's own worker, seen from the browser: killed, the app keeps serving and a new worker runs
the next run; frozen (no worker alive), the run page says its run waits and owners see a banner,
until the worker is back; and a browser that goes offline is told its page is not updating.

The worker is the app's supervised child process (``python -m nyx_app.cli worker --parent-pid``),
found among the processes of this checkout serving the browser tests' database.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import psutil
import pytest
from playwright.sync_api import Page, expect

from nyx_app.settings import ROOT_DIR
from tests.e2e.conftest import E2E_DATABASE
from tests.e2e.helpers import create_project, open_project, register
from tests.fakes.llm_server import FakeLLM, answer

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-6"
RUN_TIMEOUT = 90_000


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def app_worker(timeout: float = 120.0, other_than: int | None = None) -> psutil.Process:
    """The app's worker process (a new one, if ``other_than`` names the one before)."""
    deadline = time.monotonic() + timeout
    while True:
        for proc in psutil.process_iter(["cmdline"]):
            try:
                cmdline = proc.info["cmdline"] or []
                if "--parent-pid" not in cmdline or "nyx_app.cli" not in cmdline or proc.pid == other_than:
                    continue
                if proc.cwd() == str(ROOT_DIR) and proc.environ().get("NYX_DATABASE_NAME") == E2E_DATABASE:
                    return proc
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        assert time.monotonic() < deadline, "the app's worker process did not show up"
        time.sleep(0.2)


def workspace(page: Page, fake: FakeLLM, name: str) -> None:
    fake.reset()
    register(page, name, f"{name}'s team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-worker-health-0042")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0042")
    page.goto("/")
    create_project(page, "Health")
    open_project(page, "Health")


def start_blank_run(page: Page, project_url: str) -> None:
    page.goto(project_url)
    page.click("#tab-workflows")
    page.click("#create-blank")
    expect(page.locator("#estimate-calls")).to_contain_text("LLM calls")
    page.click("#start-run")
    expect(page.locator("#run-title")).to_be_visible()


def test_a_killed_worker_is_replaced_while_the_app_keeps_serving(page: Page, app_url: str, fake: FakeLLM) -> None:
    workspace(page, fake, "Kim")
    project_url = page.url
    worker = app_worker()
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)

    page.goto(project_url)  # the app serves on
    expect(page.locator("#project-title")).to_have_text("Health")
    app_worker(other_than=worker.pid)
    fake.script(MODEL, then=answer("Done by the new worker."))
    start_blank_run(page, project_url)
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)


def test_with_no_worker_alive_the_run_page_and_the_owner_are_told(page: Page, app_url: str, fake: FakeLLM) -> None:
    workspace(page, fake, "Ola")
    project_url = page.url
    fake.script(MODEL, then=answer("Done once the worker was back."))
    worker = app_worker()
    worker.send_signal(signal.SIGSTOP)  # alive for its supervisor, silent for everyone else
    try:
        start_blank_run(page, project_url)
        # Within the worker's stall limit and a sweep, without reloading the page.
        expect(page.locator("#run-waiting")).to_contain_text("Waiting for a worker since", timeout=30_000)
        page.goto(project_url)
        expect(page.locator("#no-worker")).to_contain_text("No job worker has been running since")
        page.go_back()
    finally:
        worker.send_signal(signal.SIGCONT)
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#run-waiting")).to_have_count(0)


def test_an_offline_browser_is_told_the_page_is_not_updating(page: Page, app_url: str, fake: FakeLLM) -> None:
    workspace(page, fake, "Uma")
    fake.script(MODEL, then=answer("Done."))
    start_blank_run(page, page.url)
    expect(page.locator("#offline-hint")).to_be_hidden()
    page.context.set_offline(True)
    expect(page.locator("#offline-hint")).to_be_visible()
    page.context.set_offline(False)
    expect(page.locator("#offline-hint")).to_be_hidden()
