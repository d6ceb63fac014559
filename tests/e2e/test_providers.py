"""Settings → Providers in Chromium: add keys, see an outage, pick models — the key never comes back.

The app under test is another process; it reaches the fake provider server on loopback because
the keys added here carry the fake server's base URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, WebSocket, expect

from tests.e2e.helpers import register
from tests.fakes.llm_server import FakeLLM, empty, fault

pytestmark = pytest.mark.e2e

ANTHROPIC_KEY = "sk-ant-api03-NEVER-SHOW-ME-9f3k"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def _row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f".provider-row[data-provider='{name}']")


def test_providers_page_shows_an_outage_and_never_the_key(page: Page, fake: FakeLLM) -> None:
    frames: list[str] = []

    def watch(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode()))

    page.on("websocket", watch)
    register(page, "Pia", "Pia's team")
    page.goto("/settings/providers")
    expect(page.get_by_role("heading", name="LLM providers")).to_be_visible()
    expect(page.locator("#probe-hint")).to_have_text("Test sends one tiny real request and gives up after 10 s.")

    # Anthropic, out of credit (seed 000): the key is accepted, the test call says why it fails.
    fake.script("claude-sonnet-4-6", fault("credit"), then=fault("credit"))
    page.fill("#api-key", ANTHROPIC_KEY)
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    anthropic = _row(page, "anthropic")
    expect(anthropic.locator(".key-hint")).to_have_text("…9f3k")
    expect(anthropic.locator(".provider-status")).to_have_text("Not tested yet")
    anthropic.locator(".test-provider").click()
    # The app's first LLM call imports LiteLLM (~5 s on a small machine).
    expect(anthropic.locator(".provider-status")).to_have_text("Out of credit", timeout=30_000)
    expect(anthropic.locator(".last-error")).to_contain_text("credit balance is too low")
    expect(anthropic.locator(".last-error-at")).to_contain_text("UTC")
    assert fake.calls("claude-sonnet-4-6") == 1

    # The cloud metadata service, spelled as an integer: refused with a reason, nothing saved.
    page.fill("#endpoint-name", "sneaky")
    page.fill("#endpoint-url", "http://2852039166/latest/meta-data")
    page.fill("#endpoint-models", "m")
    page.click("#save-endpoint")
    expect(page.locator("#endpoint-url-error")).to_contain_text(
        "This endpoint is a cloud metadata address (169.254.169.254), which this server does not call."
    )
    expect(_row(page, "sneaky")).to_have_count(0)

    # A local OpenAI-compatible endpoint that works (the app under test allowlists 127.0.0.1).
    page.fill("#endpoint-name", "local-fake")
    page.fill("#endpoint-url", fake.openai_base)
    page.fill("#endpoint-models", "fake-small, fake-large")
    page.click("#save-endpoint")
    local = _row(page, "local-fake")
    expect(page.locator("#endpoint-url-error, #endpoint-error")).to_have_count(0)
    local.locator(".test-provider").click()
    expect(local.locator(".provider-status")).to_have_text("OK")
    # An empty answer next time: the badge follows the latest outcome.
    fake.script("fake-small", empty())
    local.locator(".test-provider").click()
    expect(local.locator(".provider-status")).to_have_text("Last answer unusable")
    expect(local.locator(".last-error")).to_have_text("The model returned an empty answer.")

    # The picker lists each provider's models with price, context and the fast tag.
    page.click("#chain-picker-provider")
    page.get_by_role("option", name="Anthropic").click()
    page.click("#chain-picker-model")
    options = page.locator(".model-option")
    expect(options).to_have_count(3)
    expect(options.filter(has_text="Claude Sonnet 4.6")).to_contain_text("$3.00 in / $15.00 out per M tokens")
    expect(options.filter(has_text="Claude Sonnet 4.6")).to_contain_text("1.0M context")
    page.keyboard.press("Escape")
    page.click("#chain-picker-provider")
    page.get_by_role("option", name="local-fake (OpenAI-compatible)").click()
    page.click("#chain-picker-model")
    expect(page.locator(".model-option")).to_have_count(2)
    page.locator(".model-option", has_text="fake-small").click()
    page.click("#add-to-chain")
    expect(page.locator(".chain-item")).to_have_text("1. local-fake/fake-small")

    # Spend shows both providers' attempts (the failed one costs nothing).
    expect(page.locator("#spend-by-provider")).to_contain_text("anthropic")
    expect(page.locator("#spend-by-provider")).to_contain_text("local-fake")

    page.screenshot(path="test-artifacts/providers-outage.png", full_page=True)

    # Replacing the key: the old verdict no longer applies.
    anthropic.get_by_role("button", name="Replace key").click()
    page.fill("#api-key", "sk-ant-api03-topped-up-key-77aa")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(anthropic.locator(".key-hint")).to_have_text("…77aa")
    expect(anthropic.locator(".provider-status")).to_have_text("Not tested yet")
    expect(anthropic.locator(".last-error")).to_have_text("")

    # A zero budget: the next paid call is refused before anything is sent.
    page.fill("#budget", "0")
    page.click("#save-budget")
    expect(page.locator("#budget")).to_have_value("0.00")
    anthropic.locator(".test-provider").click()
    expect(page.get_by_text("Monthly LLM budget reached")).to_be_visible()
    assert fake.calls("claude-sonnet-4-6") == 1

    # Removing asks first.
    local.locator(".remove-provider").click()
    page.locator(".confirm-remove-provider").click()
    expect(local).to_have_count(0)
    assert ANTHROPIC_KEY not in page.content()
    assert frames, "no websocket traffic was captured"
    assert not [f for f in frames if ANTHROPIC_KEY in f or "NEVER-SHOW-ME" in f]
