"""Browser tests: the real app (`reflex run --env prod`, one port) on its own database, driven by
Playwright in Debian's Chromium. One app per test session; a fresh browser context per test."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from nyx_app.db.bootstrap import prepare
from nyx_app.settings import ROOT_DIR, Settings
from tests.fakes.smtp import Inbox, smtp_server

E2E_DATABASE = "nyx_e2e"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = ROOT_DIR / "test-artifacts"
START_TIMEOUT_S = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the app did not answer {url} in {START_TIMEOUT_S}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def mail_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback that the app under test sends its mail to (password resets)."""
    with smtp_server() as served:
        yield served


@pytest.fixture(scope="session")
def inbox(mail_server: tuple[Inbox, int]) -> Inbox:
    return mail_server[0]


@pytest.fixture(scope="session")
def app_env(mail_server: tuple[Inbox, int]) -> dict[str, str]:
    """The environment the app under test runs with (tests may add to it before app_url starts)."""
    env = dict(os.environ)
    env.update(NYX_SMTP_HOST="127.0.0.1", NYX_SMTP_PORT=str(mail_server[1]), NYX_SMTP_SECURITY="none")
    env.update(NYX_DATABASE_NAME=E2E_DATABASE, NYX_ENVIRONMENT="test", REFLEX_TELEMETRY_ENABLED="false")
    # The app may call the fake LLM server on loopback, and nothing else inside (net_guard).
    env.update(NYX_LLM_ALLOWED_HOSTS="127.0.0.1")
    # Code sources: the fake git host (tests/fakes/git_server.py) speaks plain http on loopback.
    env.update(NYX_GIT_PROTOCOLS="https,http")
    # Every browser test registers from 127.0.0.1; the real limit (10 an hour) is tested elsewhere.
    env.update(NYX_THROTTLE_REGISTRATIONS_PER_ADDRESS="100000")
    # Small pages of memory-hub results, so "Show more" is reached with a handful of entries.
    env.update(NYX_MEMORY_PAGE_SIZE="5")
    env.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    tools = f"{ROOT_DIR / '.tools/node_modules/.bin'}:{ROOT_DIR / '.venv/bin'}"
    env["PATH"] = f"{tools}:{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="session")
def app_url(app_env: dict[str, str]) -> Iterator[str]:
    prepare(Settings(database_name=E2E_DATABASE), recreate=True)
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "e2e-app.log"
    cmd = ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--backend-port", str(port)]
    # The browser opens 127.0.0.1 (and the frontend then opens its websocket there too): that is
    # the app's own origin, the only one CORS, the websocket and the login forms accept.
    base = f"http://127.0.0.1:{port}"
    env = {**app_env, "NYX_PUBLIC_URL": base, OWNER_VAR: str(os.getpid())}
    _end_orphaned_servers()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_for(f"{base}/ping", proc, log)
        _wait_for(f"{base}/login", proc, log)
        yield base
    finally:
        _stop(proc)


OWNER_VAR = "NYX_E2E_OWNER_PID"


def _end_orphaned_servers() -> None:
    """End app servers (and their workers) that an earlier, killed test session left running:
    they would take this session's jobs from the same database with another secret key."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        owner = next((v.split(b"=", 1)[1] for v in environ if v.startswith(OWNER_VAR.encode() + b"=")), None)
        if owner is None or int(owner) == os.getpid() or Path(f"/proc/{int(owner)}").exists():
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(entry.name), signal.SIGKILL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """The app runs in its own process group (reflex starts children); end all of it."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser: Browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page 390 px wide, as on a phone."""
    context = browser.new_context(base_url=app_url, viewport={"width": 390, "height": 844}, has_touch=True)
    context.set_default_timeout(20_000)
    pg = context.new_page()
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser: Browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    pg = context.new_page()
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
