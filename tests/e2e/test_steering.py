"""Runs that teams steer, in Chromium against the fake LLM: pause a run from its page (its call
stopped), see who paused it, resume it, and watch the header bell of another tab count the run's
end live; re-run from a step with an edited prompt and compare the two runs step by step."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_run_page import RUN_TIMEOUT, start_from_template, workspace
from tests.fakes.llm_server import FakeLLM, answer, respond

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-6"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def test_pause_and_resume_from_the_page_while_another_tab_hears_the_bell(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Pia", "Steering")
    fake.script(MODEL, then=answer("A slow answer.", latency=30))
    run_url = start_from_template(page, "")  # blank: one step, "draft"
    expect(page.locator("#step-draft .step-status")).to_have_text("running", timeout=RUN_TIMEOUT)

    other = page.context.new_page()  # the same person, another tab, elsewhere in the app
    other.goto("/")
    expect(other.locator("#notification-bell")).to_be_visible()
    expect(other.locator("#bell-count")).to_have_count(0)

    page.click("#pause-run")
    page.click("#pause-now")
    expect(page.locator("#run-status")).to_have_text("paused", timeout=RUN_TIMEOUT)
    expect(page.locator("#run-paused")).to_contain_text("Paused by Pia at ")
    expect(page.locator("#step-draft .step-status")).to_have_text("queued")
    page.screenshot(path="test-artifacts/run-paused.png", full_page=True)

    fake.script(MODEL, then=answer("The answer after the pause."))
    page.click("#resume-run")
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#step-draft .step-output")).to_contain_text("The answer after the pause.")
    # The other tab's bell counted the run's end by itself.
    expect(other.locator("#bell-count")).to_have_text("1", timeout=RUN_TIMEOUT)
    other.click("#notification-bell")
    expect(other.locator("#bell-list .bell-row")).to_have_count(1)
    expect(other.locator("#bell-list")).to_contain_text("finished")
    other.screenshot(path="test-artifacts/notification-bell.png")
    expect(other.locator("#bell-count")).to_have_count(0)  # opening the list read it
    other.click("#bell-list .bell-row")
    other.wait_for_url(run_url)
    other.close()


def test_rerun_from_a_step_with_an_edited_prompt_and_compare_the_runs(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Remy", "Reruns")
    fake.script(MODEL, then=respond(lambda p: f"Answer to: {p[:60]}"))
    first_url = start_from_template(page, "")
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    asked = fake.calls()

    page.click("#step-draft .rerun-step")
    expect(page.locator("#rerun-prompt")).not_to_have_value("")
    page.fill("#rerun-prompt", "Say it in one short line, please.")
    page.click("#rerun-submit")
    page.wait_for_url(lambda url: re.search(r"/runs/", url) is not None and url != first_url)
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#step-draft .step-output")).to_contain_text("Say it in one short line")
    assert fake.calls() == asked + 1
    expect(page.locator("#rerun-of")).to_contain_text("Re-run of an earlier run from step")

    page.click("#compare-with-earlier")
    page.wait_for_url(re.compile(r"/compare/"))
    expect(page.locator("#pair-draft .compare-a")).to_be_visible()
    expect(page.locator("#pair-draft .compare-b")).to_contain_text("Say it in one short line")
    expect(page.locator("#cost-difference")).not_to_be_empty()
    page.locator("#pair-draft summary").click()
    expect(page.locator("#pair-draft .diff-add")).not_to_have_count(0)
    page.screenshot(path="test-artifacts/run-compare.png", full_page=True)


def test_compare_two_models_on_a_step_and_pick_the_winner(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Cleo", "Comparisons")
    fake.script(MODEL, then=respond(lambda p: f"Sonnet 4.6 says: {p[:40]}"))
    fake.script("claude-sonnet-4-5", then=respond(lambda p: f"Sonnet 4.5 says: {p[:40]}"))
    start_from_template(page, "")
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)

    page.click("#step-draft .compare-models")
    page.fill("#compare-models", "anthropic/claude-sonnet-4-6\nopenai/gpt-4.1")
    page.click("#compare-submit")
    expect(page.locator("#compare-error")).to_contain_text("cannot reach openai/gpt-4.1")  # told before starting
    page.fill("#compare-models", "anthropic/claude-sonnet-4-6\nanthropic/claude-sonnet-4-5")
    page.click("#compare-submit")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#step-draft__1 .step-output")).to_contain_text("Sonnet 4.6 says")
    expect(page.locator("#step-draft__2 .step-output")).to_contain_text("Sonnet 4.5 says")
    page.screenshot(path="test-artifacts/model-comparison.png", full_page=True)

    page.click("#step-draft__2 .pick-winner-apply")
    expect(page.locator("#winner")).to_have_text("Winner: anthropic/claude-sonnet-4-5")
    # That it became the step's model in the workflow is checked in tests/services/runs/test_model_compare.py.
