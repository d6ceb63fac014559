"""The Spend page in Chromium: a run's cost shows as a chart by provider and by project, with the
period's totals, and downloads as CSV."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_project, open_project, register
from tests.fakes.llm_server import FakeLLM, answer

pytestmark = pytest.mark.e2e
MODEL = "claude-sonnet-4-6"  # priced in the catalog: the run costs something


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def test_a_runs_cost_by_provider_and_by_project_with_csv(page: Page, fake: FakeLLM) -> None:
    fake.reset()
    page.set_viewport_size({"width": 1440, "height": 900})
    register(page, "Penny", "Penny's team")
    page.goto("/spend")
    expect(page.locator("#spend-empty")).to_contain_text("Nothing spent in this period")

    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-spend-test-0007")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic']")).to_be_visible()
    page.goto("/")
    create_project(page, "Costly")
    open_project(page, "Costly")
    fake.script(MODEL, then=answer("A short draft of the notes. " * 20))
    page.click("#tab-workflows")
    page.click("#create-blank")
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=90_000)

    page.goto("/settings/providers")
    page.click("#spend-link")
    expect(page).to_have_url(re.compile(r"/spend$"))
    expect(page.locator("#spend-totals .spend-series")).to_have_text(["anthropic"])
    expect(page.locator("#spend-total-cost")).to_have_text(re.compile(r"^\$0\.\d{4}$|^\$\d+\.\d{2}$"))
    expect(page.locator("#spend-chart .recharts-bar-rectangle").first).to_be_visible()
    page.get_by_role("radio", name="By project").click()
    expect(page.locator("#spend-totals .spend-series")).to_have_text(["Costly"])
    page.screenshot(path="test-artifacts/spend-1440.png", full_page=True)

    with page.expect_download() as got:
        page.click("#spend-csv")
    with open(got.value.path(), encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert lines[0] == "day,project,calls,failed,tokens_in,tokens_out,cost_usd"
    assert len(lines) == 2 and ",Costly,1,0," in lines[1]

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#spend-chart .recharts-bar-rectangle").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the spend page is {width} px wide on a phone"
    page.screenshot(path="test-artifacts/spend-390.png", full_page=True)
