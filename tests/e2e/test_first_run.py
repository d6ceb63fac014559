"""A newcomer's first success: a fresh workspace whose only provider is a local OpenAI-compatible
endpoint (the fake LLM server speaks OpenAI) makes a project and finishes a first run, without
opening the project's settings. Before the provider exists, Start says why it is not possible and
links to the fix; the estimate prices the model that will actually run."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_note, create_project, dashboard_ready, open_project, register
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, respond

pytestmark = pytest.mark.e2e

ENDPOINT_MODEL = "fake-small"
RUN_TIMEOUT = 90_000  # the app's first LLM call imports LiteLLM


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def _shots(page: Page, name: str) -> None:
    page.screenshot(path=f"test-artifacts/first-run-{name}-1440.png", full_page=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"test-artifacts/first-run-{name}-390.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width} px wide on a phone"
    assert size is not None
    page.set_viewport_size(size)


def test_endpoint_only_workspace_reaches_a_finished_run_without_project_settings(page: Page, fake: FakeLLM) -> None:
    fake.reset()
    page.set_viewport_size({"width": 1440, "height": 900})
    register(page, "Nia", "Nia's team")
    create_project(page, "First steps")
    expect(page.get_by_text("Add a provider in Providers before starting a workflow")).to_be_visible()
    open_project(page, "First steps")
    project_url = page.url
    create_note(page, "Login", "The login page needs a clearer error message.")
    page.goto(project_url)

    # The flagship, before any provider: Start is off and says why, with the way to the fix.
    page.click("#tab-workflows")
    page.click("#create-image-to-implementation")
    page.wait_for_url(re.compile(r"/workflows/"))
    workflow_url = page.url
    expect(page.locator("#start-blockers")).to_contain_text("No LLM provider is set up")
    expect(page.locator("#start-run")).to_be_disabled()
    _shots(page, "blocked")
    page.locator("#start-blockers .fix-link", has_text="Add a provider").click()
    expect(page).to_have_url(re.compile(r"/settings/providers$"))

    # The only provider: a local OpenAI-compatible endpoint.
    page.fill("#endpoint-name", "local")
    page.fill("#endpoint-url", fake.openai_base)
    page.fill("#endpoint-models", ENDPOINT_MODEL)
    page.click("#save-endpoint")
    expect(page.locator(".provider-row[data-provider='local']")).to_be_visible()

    # Back at the workflow: ready, and the estimate names (and prices) the endpoint's model.
    page.goto(workflow_url)
    expect(page.locator("#estimate-model")).to_have_text(
        f"local/{ENDPOINT_MODEL} (automatic: the workspace's first model)"
    )
    expect(page.locator("#start-blockers")).to_have_count(0)
    expect(page.locator("#estimate-unpriced")).to_contain_text(f"local/{ENDPOINT_MODEL}")
    _shots(page, "ready")

    fake.script(ENDPOINT_MODEL, then=respond(flagship(3, plan_words=30)))
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#step-enrich .step-model")).to_have_text(f"local/{ENDPOINT_MODEL}")
    assert fake.calls(ENDPOINT_MODEL) >= 5  # enrich, action points, 3 plans, synthesis, final
    _shots(page, "finished")
    act_on_outputs(page)

    # A second project, made now that the endpoint exists, is stamped with it and says so.
    page.goto("/")
    dashboard_ready(page)
    create_project(page, "Second")
    expect(page.get_by_text(f"It uses local/{ENDPOINT_MODEL}, the workspace's first model")).to_be_visible()


def act_on_outputs(page: Page) -> None:
    """The action points read as a table (the raw JSON one click away); every answer, plan and the
    final prompt copies whole and downloads as Markdown."""
    points = page.locator("#step-action_points")
    expect(points.locator(".step-readable tbody tr")).to_have_count(3)
    expect(points.locator(".step-readable th").nth(1)).to_have_text("Title")
    expect(points.locator(".step-output")).not_to_be_visible()  # raw JSON folded away
    points.locator(".raw-toggle").click()
    expect(points.locator(".step-output")).to_contain_text('"title": "Action 1"')

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("#step-final .copy-output").click()
    expect(page.get_by_text("Copied to the clipboard")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == (
        "Final implementation prompt: implement the action points in order."
    )
    plan = page.locator("#step-plan .fanout-item").nth(1)
    plan.locator(".copy-output").click()
    expect(page.get_by_text("Copied to the clipboard").first).to_be_visible()
    page.wait_for_function("async () => (await navigator.clipboard.readText()).startsWith('Plan 2: Action 2')")

    with page.expect_download() as got:
        page.locator("#step-final .download-output").click()
    download = got.value
    assert download.suggested_filename == "image-to-implementation-final.md"
    with open(download.path(), encoding="utf-8") as f:
        assert f.read().startswith("# Final implementation prompt\n\nFinal implementation prompt: implement")
    with page.expect_download() as got:
        plan.locator(".download-output").click()
    assert got.value.suggested_filename == "image-to-implementation-plan-2.md"
    page.screenshot(path="test-artifacts/run-action-points-1440.png", full_page=True)
