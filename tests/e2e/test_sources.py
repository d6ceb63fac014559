"""Code sources in Chromium: import a repository served by a real git host on loopback, watch the
sync finish live, see the files (skipped ones with the reason) and open one, highlighted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_project, open_project, register
from tests.fakes.git_server import GitServer
from tests.fakes.llm_server import FakeLLM, respond
from tests.services.code.test_sync import sample_repo

pytestmark = pytest.mark.e2e
SYNC_TIMEOUT = 60_000
MODEL = "claude-sonnet-4-6"


@pytest.fixture(scope="module")
def git_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    root: Path = tmp_path_factory.mktemp("served")
    with GitServer(root).running() as server:
        sample_repo(server)
        yield server


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def test_import_a_repository_watch_the_sync_and_open_a_file(page: Page, git_host: GitServer, fake: FakeLLM) -> None:
    register(page, "Sam Sources", "Sam's team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-sources-test-0042")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0042")
    page.goto("/")
    create_project(page, "Code project")
    open_project(page, "Code project")
    page.click("#project-sources")
    expect(page.locator("#sources-title")).to_contain_text("Sources")
    page.fill("#source-url", git_host.repo_url("app"))
    page.click("#source-save")
    # 5 read files: big.py is under the app's default size limit.
    expect(page.locator("#source-summary")).to_contain_text("5 files", timeout=SYNC_TIMEOUT)
    expect(page.locator("#source-progress")).to_contain_text("Synced main")
    files = page.locator("#source-files")
    expect(files).to_contain_text("symlink pointing outside the repository (refused)")
    expect(files).to_contain_text("binary")
    expect(page.locator("#source-map")).to_contain_text("src/app/main.py:")  # the repository map
    page.locator(".source-file", has_text="src/app/main.py").click()
    viewer = page.locator("#source-viewer")
    expect(viewer).to_contain_text("def main():")
    expect(viewer.locator("span.tok-k").first).to_have_text("def")  # coloured by the one highlighter

    # A code analysis against the fake model: its patterns appear on the page.
    answer = [{"category": "risk", "title": "Vendored code", "text": "node_modules is committed.", "files": []}]
    fake.script(MODEL, then=respond(lambda prompt: json.dumps(answer)))
    page.click("#source-analyse")
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=SYNC_TIMEOUT)
    page.go_back()
    expect(page.locator("#code-patterns")).to_contain_text("Vendored code", timeout=SYNC_TIMEOUT)

    # Refused next to the field, in words; the synced list stays as it was.
    page.fill("#source-url", "http://10.0.0.5/repo.git")
    page.click("#source-save")
    expect(page.locator("#source-url-error")).to_contain_text("private address (10.0.0.5)")
    expect(page.locator("#source-summary")).to_contain_text("5 files")
