"""The header's workspace search: Ctrl-K, a query that shares no word with the note it finds
(by meaning, with the local embedder, no provider set up), Enter opens the hit."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_note, create_project, goto_signed_in, open_project, register

pytestmark = pytest.mark.e2e

MEANING_QUERY = "the AI vendor ran out of prepaid money"
EMBEDDED_WITHIN_S = 120  # the in-process worker's job loads the model once (seconds on a busy machine)


def _search_until_found(page: Page, query: str, title: str) -> None:
    """The note is embedded by a background job: ask again until it answers (a user would too)."""
    hit = page.locator(".search-hit", has_text=title)
    deadline = time.monotonic() + EMBEDDED_WITHIN_S
    while True:
        page.fill("#search-input", "")
        page.fill("#search-input", query)
        try:
            expect(hit).to_be_visible(timeout=4_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_ctrl_k_finds_a_note_by_meaning_and_enter_opens_it(page: Page) -> None:
    register(page, "Sam", "Sam's team")
    create_project(page, "Platform")
    open_project(page, "Platform")
    create_note(
        page,
        "Anthropic credit exhausted returns HTTP 400",
        "When the account has no credit left the provider answers 400 with 'credit balance is too low'. "
        "Treat it as account-wide and move to the fallback provider.",
    )
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("Control+k")
    expect(page.locator("#search-input")).to_be_visible()
    _search_until_found(page, MEANING_QUERY, "Anthropic credit exhausted")
    hit = page.locator(".search-hit", has_text="Anthropic credit exhausted").first
    expect(hit.locator(".search-hit-why")).to_contain_text("meaning")
    expect(hit).to_contain_text("Platform")
    expect(page.locator(".search-group-label").first).to_have_text("Notes")
    page.screenshot(path="test-artifacts/workspace-search.png")

    page.keyboard.press("Enter")
    expect(page.locator("#note-title")).to_have_text("Anthropic credit exhausted returns HTTP 400")

    goto_signed_in(page, "/settings/search")
    expect(page.locator("#embedding-status")).to_have_text("1 of 1 items embedded")


def test_slash_opens_search_and_bad_input_is_answered_in_words(page: Page) -> None:
    register(page, "Ria", "Ria's team")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    expect(page.locator("#search-input")).to_be_visible()
    page.fill("#search-input", "x" * 600)  # the field stops at 500; what arrives is searched
    expect(page.locator("#search-empty")).to_be_visible()
    page.fill("#search-input", "<img src=x onerror=alert(1)> 🔥")
    expect(page.locator("#search-empty")).to_be_visible()
    expect(page.locator("#search-results img")).to_have_count(0)
