"""Auto-fix in Chromium: import a repository served by a real git host on loopback, run auto-fix
against the fake model, select issues at the run's pause, see each fix as a highlighted diff (a
hostile explanation and rationale shown as text), and download the patch — which git applies."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import create_project, open_project, register
from tests.fakes.git_server import GitServer, Repo
from tests.fakes.llm_server import FakeLLM, respond
from tests.services.code.test_fixes import CALC, GREET, model_answer

pytestmark = pytest.mark.e2e
RUN_TIMEOUT = 60_000
MODEL = "claude-sonnet-4-6"


@pytest.fixture(scope="module")
def git_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    root: Path = tmp_path_factory.mktemp("served-fix")
    with GitServer(root).running() as server:
        repo = Repo(root, "fixme")
        repo.write("src/calc.py", CALC)
        repo.write("src/greet.py", GREET)
        repo.commit("first")
        yield server


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def test_autofix_select_issues_see_the_diff_and_download_a_patch_that_applies(
    page: Page, git_host: GitServer, fake: FakeLLM, tmp_path: Path
) -> None:
    register(page, "Fay Fixer", "Fay's team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-autofix-test-0043")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0043")
    page.goto("/")
    create_project(page, "Fix project")
    open_project(page, "Fix project")
    page.click("#project-sources")
    page.fill("#source-url", git_host.repo_url("fixme"))
    page.click("#source-save")
    expect(page.locator("#source-summary")).to_contain_text("2 files", timeout=RUN_TIMEOUT)

    fake.script(MODEL, then=respond(model_answer))
    page.click("#source-autofix")
    expect(page.locator("#fix-status")).to_have_text("waiting", timeout=RUN_TIMEOUT)
    issues = page.locator(".fix-issue")
    expect(issues).to_have_count(4)
    expect(issues.nth(2)).to_contain_text("<script>alert(1)</script>")  # shown as text
    page.locator("#issue-3").click()  # "Never fits": not selected
    page.click("#fix-select")
    expect(page.locator("#fix-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    items = page.locator(".fix-item")
    expect(items).to_have_count(3)
    diff = page.locator(".fix-diff").first
    expect(diff).to_contain_text("+    if b == 0:  # <img src=x onerror=alert(1)>")  # a diff's HTML is text
    expect(diff.locator("img")).to_have_count(0)
    expect(items.first).to_contain_text("Guard <b>zero</b>.")  # the model's rationale, as text
    expect(page.locator(".fix-error")).to_contain_text("is not a file the sync read under the scan path")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "autofix-diff.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#fix-download")
    patch = Path(download.value.path()).read_bytes()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", git_host.repo_url("fixme"), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "apply", "--check", "-"], cwd=clone, input=patch, check=True)
    assert b"src/calc.py" in patch and b"src/greet.py" in patch

    page.fill("#fix-push-branch", "nyx/$(touch pwned)")
    page.click("#fix-push")
    expect(page.locator("#fix-push-branch-error")).to_contain_text("letters, digits")
