"""A discussion in Chromium against the fake LLM: three personas answer in turn, each answer
grows word by word on the page, a reload mid-answer loses nothing (the discussion runs on the
server and the page catches up), then the best approach and a plan saved as a note."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_project, open_project, register
from tests.fakes.llm_server import FakeLLM, respond

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-6"
WORDS = 50


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def answer(prompt: str) -> str:
    if speaker := re.search(r"Now give your answer as ([^.]+)\.", prompt):
        return f"{speaker[1]} thinks: " + " ".join(f"point{i}" for i in range(WORDS)) + " END"
    if "Write the best approach" in prompt:
        return "Best approach: hashed tokens in server-side rows. END"
    return "# Plan: sessions\n\n1. Add the table.\n2. Hash the tokens. END"


def texts(page: Page) -> list[str]:
    return page.locator(".message-answer .message-text").all_inner_texts()


RECORD_LENGTHS = """(index) => {
    // Every length answer ``index`` shows, as the DOM changes (no polling, nothing missed).
    window.__lengths = [];
    const note = () => {
        const text = document.querySelectorAll('.message-answer')[index]?.querySelector('.message-text');
        const seen = window.__lengths, n = text ? text.innerText.length : 0;
        if (n && seen[seen.length - 1] !== n) seen.push(n);
    };
    new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
    note();
}"""


def test_three_personas_answer_live_and_a_reload_mid_answer_loses_nothing(page: Page, fake: FakeLLM) -> None:
    fake.script(MODEL, then=respond(answer, chunk_delay=0.05))
    register(page, "Sol", "Sol's team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-test-discussion-0001")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic']")).to_be_visible()
    page.goto("/")
    create_project(page, "Login")
    open_project(page, "Login")
    page.click("#tab-discussions")
    for name in ("Mara Okafor", "Jonas Weber", "Priya Raman"):
        page.locator(f".picker-persona[data-persona='{name}']").click()
    page.fill("#discussion-question", "How should we keep login sessions?")
    page.fill("#discussion-title", "Sessions")
    page.click("#start-discussion")

    expect(page.locator("#discussion-heading")).to_have_text("Sessions")
    expect(page.locator(".message-answer")).to_have_count(3)
    # The first answer grows on the page while the model writes (the first call also loads LiteLLM).
    page.evaluate(RECORD_LENGTHS, 0)
    expect(page.locator(".message-answer").first).to_have_attribute("data-status", "succeeded", timeout=30_000)
    grew = page.evaluate("window.__lengths")
    assert len(grew) >= 3 and grew == sorted(grew), grew  # several partial texts, each longer
    assert texts(page)[0].endswith("END")

    # Mid-way through the second answer: a screenshot, then a reload.
    second = page.locator(".message-answer").nth(1)
    expect(second.locator(".message-text")).to_contain_text("point5")
    page.screenshot(path="test-artifacts/discussion-in-progress.png", full_page=True)
    before = len(second.locator(".message-text").inner_text())
    page.reload()
    expect(page.locator(".message-answer")).to_have_count(3)
    assert texts(page)[0].startswith("Mara Okafor thinks:")  # kept: it came from the database
    # It went on without the page, and goes on with it.
    expect(page.locator(".message-answer").nth(2)).to_have_attribute("data-status", "succeeded", timeout=30_000)
    final = texts(page)
    assert len(final[1]) > before and all(t.endswith("END") for t in final)
    assert [t.split(" thinks:")[0] for t in final] == ["Mara Okafor", "Jonas Weber", "Priya Raman"]
    prompts = fake.prompts(MODEL)
    assert "Mara Okafor thinks:" in prompts[1] and "Jonas Weber thinks:" in prompts[2]
    expect(page.locator(".message-answer .message-meta").first).to_contain_text(f"anthropic/{MODEL}")

    page.click("#best-approach")
    expect(page.locator(".message-synthesis")).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(page.locator(".message-synthesis .message-text")).to_contain_text("hashed tokens")
    page.click("#implement")
    expect(page.locator("#plan-note-link")).to_be_visible(timeout=30_000)
    page.screenshot(path="test-artifacts/discussion-done.png", full_page=True)
    expect(page.locator("#breadcrumbs")).to_contain_text("Discussions")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the discussion is {width} px wide on a 390 px screen"
    page.evaluate("window.scrollTo(0, 0)")  # the header: breadcrumbs, title, Rename and Delete
    page.screenshot(path="test-artifacts/discussion-phone.png", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})
    discussion_url = page.url
    page.click("#plan-note-link")
    expect(page.locator("#note-title")).to_have_text("Implementation plan: Sessions")

    # The project lists the discussion; a persona's use shows on its card.
    page.goto("/")
    open_project(page, "Login")
    page.click("#tab-discussions")
    expect(page.locator(".discussion-row")).to_contain_text("Sessions")
    # Its runs are listed as discussion runs that lead back to it.
    page.click("#tab-runs")
    kinds = page.locator(".history-row .history-kind")
    expect(kinds).to_have_count(3)  # a round of answers, the best approach, the plan
    expect(kinds).to_have_text(["discussion"] * 3)
    page.locator(".history-row .history-result").first.click()
    expect(page.locator("#discussion-heading")).to_have_text("Sessions")
    assert page.url.split("?")[0] == discussion_url.split("?")[0]
    page.goto(re.sub(r"/discussions/[^/?#]+", "/discussions/not-a-discussion", discussion_url))
    expect(page.locator("#not-found")).to_have_text("Discussion not found")
    page.goto("/personas")
    expect(page.locator(".persona-card[data-persona='Jonas Weber'] .persona-uses")).to_have_text("1 use")
    expect(page.locator(".persona-card[data-persona='Jonas Weber'] .persona-success")).to_have_text("100% success")
