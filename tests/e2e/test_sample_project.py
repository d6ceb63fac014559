"""The sample project shows the whole loop before any key is added: a finished run with its action
points as a table, its report and a discussion, labelled as recorded and costing nothing. Report
tables wrap between words, never inside one, on a desktop and on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import register

pytestmark = pytest.mark.e2e

# Words of table cells that a line break cuts in two (a hyphen may end a line; nothing else).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.nyx-markdown td, .nyx-markdown th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.textContent.matchAll(/[^\\s\\-\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def test_the_sample_has_a_finished_run_a_report_and_a_discussion(page: Page) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    register(page, "Sami", "Sami's team")
    expect(page.locator("#no-projects")).to_contain_text("a finished workflow run, its report and a discussion")
    expect(page.get_by_text("coming soon")).to_have_count(0)
    page.click("#create-sample")
    # Drawing and storing its pictures and writing its story takes a moment on a busy machine.
    expect(page.locator("#project-title")).to_have_text("Sample: Lunar lander", timeout=30_000)
    project_url = page.url

    page.click("#tab-runs")
    run = page.locator(".history-row", has_text="Image to implementation (sample, recorded)")
    expect(run.locator(".history-status")).to_have_text("succeeded")
    expect(run.locator(".history-cost")).to_have_text("$0.00")
    run.locator(".history-link").click()
    expect(page.locator("#run-progress")).to_have_text("All 5 steps done")
    expect(page.locator("#step-action_points .step-readable tbody tr")).to_have_count(3)
    expect(page.locator("#step-enrich .step-model")).to_have_text("recorded sample (no model was called)")
    expect(page.locator(".coverage")).to_contain_text("3/3 action points have an implementation plan")
    page.screenshot(path="test-artifacts/sample-run-1440.png", full_page=True)

    page.goto(project_url + "?tab=discussions")
    page.locator(".discussion-row", has_text="Sample: must every alarm be seen?").click()
    expect(page.get_by_text("is a tone enough, or does every alarm need a visual signal too?")).to_be_visible()
    expect(page.get_by_text("One AlarmController that sets both").first).to_be_visible()  # an answer

    page.goto(project_url + "?tab=reports")
    page.locator(".report-link", has_text="Run report: Image to implementation (sample, recorded)").click()
    expect(page.locator(".nyx-markdown table").first).to_be_visible()
    assert page.evaluate(BROKEN_WORDS) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator(".nyx-markdown table").first).to_be_visible()
    assert page.evaluate(BROKEN_WORDS) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the report is {width} px wide on a phone"
    page.screenshot(path="test-artifacts/sample-report-390.png", full_page=True)
    assert re.search(r"/reports/", page.url)
