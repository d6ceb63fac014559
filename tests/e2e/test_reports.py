"""Reports in Chromium against the fake LLM: a run report made from a finished run's page, viewed
(table of contents, diagrams drawn by the browser) and downloaded as Markdown and PDF; the list on
the Reports tab (rename, delete); a dev-log post written live through its run, published, read in a
fresh browser without a login, and gone from there the moment it is unpublished."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from tests.e2e.helpers import create_project, open_project, register
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, respond
from tests.services.reports.test_writers import POST

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-6"
RUN_TIMEOUT = 90_000  # the app's first LLM call imports LiteLLM
PDF_TIMEOUT = 90_000  # the first PDF of the app launches Chromium and loads Mermaid


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def model(prompt: str) -> str:
    if prompt.startswith("Write a dev-log post"):
        return json.dumps(POST)
    return flagship(3)(prompt)


def workspace(page: Page, fake: FakeLLM, name: str, project: str) -> None:
    fake.reset()
    fake.script(MODEL, then=respond(model))
    register(page, name, f"{name}'s team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-reports-test-0042")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0042")
    page.goto("/")
    create_project(page, project)
    open_project(page, project)
    add_note(page, "Login page", "The login page needs work.")


def add_note(page: Page, title: str, content: str) -> None:
    """A note from the project page: its inline form on this branch; in the notes workspace (main) a
    new note opens in its editor, and the test comes back to the project afterwards."""
    project = page.url
    page.fill("#new-note-title", title)
    if page.locator("#new-note-content").count():
        page.fill("#new-note-content", content)
        page.click("#add-note")
        expect(page.locator(".note-card", has_text=title)).to_be_visible()
        return
    page.click("#add-note")
    expect(page.locator("#note-title")).to_have_text(title)
    page.fill("#edit-note-content", content)
    page.click("#save-note")
    expect(page.locator("#edit-note-content")).to_have_count(0)
    page.goto(project)
    expect(page.locator("#project-title")).to_be_visible()


def flagship_run(page: Page) -> None:
    page.click("#tab-workflows")
    page.click("#create-image-to-implementation")
    expect(page.locator("#estimate-calls")).to_contain_text("LLM calls")
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)


def download(page: Page, selector: str, tmp: Path) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    target = tmp / info.value.suggested_filename
    info.value.save_as(target)
    return target.read_bytes()


def test_a_run_report_from_the_run_page_viewed_and_downloaded(page: Page, fake: FakeLLM, tmp_path: Path) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    workspace(page, fake, "Iris", "Reported")
    flagship_run(page)

    page.click("#make-run-report")
    page.wait_for_url(re.compile(r"/reports/"))
    expect(page.locator("#report-title")).to_have_text("Run report: Image to implementation")
    expect(page.locator("#report-kind")).to_have_text("Run report")
    body = page.locator("#report-body")
    expect(body).to_contain_text("3 of 3 action points have their implementation plan")
    expect(body.locator("h2", has_text="Traceability")).to_be_visible()
    toc = page.locator("#report-toc .toc-entry")
    expect(toc.first).to_be_visible()
    toc.filter(has_text="Coverage").click()
    expect(page.locator("#md-coverage")).to_be_in_viewport()

    markdown = download(page, "#download-markdown", tmp_path).decode()
    assert markdown.startswith("# Run report: Image to implementation")
    record = json.loads(download(page, "#download-json", tmp_path))
    assert record["format"] == "nyx-run-record/1" and record["run"]["status"] == "succeeded"
    expect(page.locator("#download-pdf")).to_be_visible(timeout=PDF_TIMEOUT)  # made by the job, shown live
    document = download(page, "#download-pdf", tmp_path)
    reader = PdfReader(io.BytesIO(document))
    assert len(reader.pages) > 1 and "Page 1 of" in reader.pages[0].extract_text()
    page.screenshot(path="test-artifacts/report-run.png", full_page=True)
    crumbs = page.locator("#breadcrumbs")
    expect(crumbs).to_contain_text("Reported")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the report viewer is {width} px wide on a 390 px screen"
    page.screenshot(path="test-artifacts/report-run-phone.png", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})
    report_url = page.url
    page.goto(re.sub(r"/reports/[^/?#]+", "/reports/00000000-0000-4000-8000-000000000000", report_url))
    expect(page.locator("#not-found")).to_have_text("Report not found")
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_the_reports_tab_lists_renames_deletes_and_draws_diagrams(page: Page, fake: FakeLLM) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    workspace(page, fake, "Juno", "Listed")
    page.click("#tab-workflows")
    page.click("#create-image-to-implementation")  # a workflow: the overview draws its diagram
    expect(page.locator("#estimate-calls")).to_contain_text("LLM calls")
    page.go_back()
    page.click("#tab-reports")

    page.click("#kind-overview")
    page.click("#generate-report")
    page.wait_for_url(re.compile(r"/reports/"))
    expect(page.locator("#report-title")).to_have_text("Project overview: Listed")
    diagram = page.locator("#report-body figure.nyx-diagram svg")
    expect(diagram).to_be_visible(timeout=30_000)  # drawn in the browser, from the app's own script
    expect(diagram).to_contain_text("Enrich notes and screenshots")
    expect(page.locator("#report-body code.language-mermaid")).to_have_count(0)
    page.screenshot(path="test-artifacts/report-overview.png", full_page=True)

    page.locator("#breadcrumbs").get_by_role("link", name="Reports").click()
    row = page.locator(".report-row", has_text="Project overview: Listed")
    expect(row.locator(".report-kind")).to_have_text("Project overview")
    expect(row.locator(".report-author")).to_have_text("Juno")
    expect(row.locator(".report-size")).to_contain_text("KB")
    row.locator(".rename-report").click()
    page.fill("#rename-title", "Listed, as of today")
    page.click("#save-title")
    row = page.locator(".report-row", has_text="Listed, as of today")
    expect(row).to_be_visible()
    expect(row.locator(".download-pdf")).to_be_visible(timeout=PDF_TIMEOUT)  # the renamed PDF, made anew
    row.locator(".delete-report").click()
    page.locator(".confirm-delete-report").click()
    expect(page.locator(".report-row")).to_have_count(0)
    expect(page.locator("#no-reports")).to_contain_text("No reports yet")  # and what to do next
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_a_dev_log_post_written_live_published_and_unpublished(page: Page, fake: FakeLLM, browser: Browser) -> None:
    workspace(page, fake, "Kai", "Blogged")
    page.click("#tab-reports")
    page.click("#kind-devlog")
    expect(page.locator("#devlog-since")).to_be_visible()
    page.click("#generate-report")
    # Written by a run: the tab links to its live page, then lists the post once it is saved.
    row = page.locator(".report-row", has_text=POST["title"])
    expect(row.or_(page.locator(".writing-row"))).to_be_visible()
    expect(row).to_be_visible(timeout=RUN_TIMEOUT)
    expect(page.locator(".writing-row")).to_have_count(0)
    row.locator(".report-link").click()

    expect(page.locator("#report-title")).to_have_text(POST["title"])
    expect(page.locator("#report-body")).to_contain_text("Lessons learned")
    page.click("#toggle-post-published")
    expect(page.get_by_role("alertdialog")).to_contain_text("Anyone with its address can read it")
    page.click(".confirm-publish-post")  # a post goes public only after a word first
    public = page.locator("#public-url")
    expect(public).to_be_visible()
    address = public.inner_text()

    stranger = browser.new_context()  # a fresh browser: no cookie, no session
    try:
        reader = stranger.new_page()
        response = reader.goto(address)
        assert response is not None and response.status == 200
        expect(reader.locator("h1")).to_have_text(POST["title"])
        expect(reader.locator(".post-body")).to_contain_text("Render PDFs in a job")
        reader.screenshot(path="test-artifacts/report-public-post.png", full_page=True)

        page.click("#toggle-post-published")
        page.click(".confirm-unpublish-post")
        expect(page.locator("#public-url")).to_have_count(0)
        response = reader.goto(address)
        assert response is not None and response.status == 404
        expect(reader.locator("body")).not_to_contain_text("Lessons learned")
    finally:
        stranger.close()

    # The Runs tab names the run that wrote the post a report run and links to the post.
    page.locator("#breadcrumbs").get_by_role("link", name="Blogged").click()
    page.click("#tab-runs")
    history = page.locator(".history-row")
    expect(history.locator(".history-kind")).to_have_text("report")
    history.locator(".history-result").click()
    expect(page.locator("#report-title")).to_have_text(POST["title"])
