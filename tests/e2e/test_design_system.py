"""The shared frame on every page: fits a phone without sideways scrolling, the menu folds out,
the current page is marked, light/dark theme persists, unknown URLs get a 404 inside the frame,
the icon is served, and destructive actions ask first."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import create_note, create_project, goto_signed_in, open_project, register

pytestmark = pytest.mark.e2e

PHONE = 390


def _no_sideways_scroll(page: Page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"{what} is {width} px wide on a {PHONE} px screen"


def test_every_signed_in_page_fits_a_phone_and_the_menu_folds_out(phone: Page) -> None:
    register(phone, "Tess", "Tess's team with a long workspace name")
    create_project(phone, "A project with a rather long name to wrap", "Its description")
    open_project(phone, "A project with a rather long name to wrap")
    project_url = phone.url
    create_note(
        phone,
        "Wide things",
        "| a | b | c | d | e |\n|---|---|---|---|---|\n| " + " | ".join(["long-cell-value"] * 5) + " |",
    )
    expect(phone.locator("#note-title")).to_contain_text("Wide things")
    note_url = phone.url
    goto_signed_in(phone, "/memory")
    # On a phone the new-entry form waits behind its button, so the results come first.
    expect(phone.locator("#new-memory-title")).to_be_hidden()
    phone.click("#toggle-memory-form")
    phone.fill("#new-memory-title", "A memory")
    phone.fill("#new-memory-tags", "ops, deploy")
    phone.click("#add-memory")
    expect(phone.locator(".memory-card")).to_have_count(1)
    goto_signed_in(phone, "/settings/providers")
    expect(phone.locator("#no-providers")).to_contain_text("No provider yet")  # and what a provider is
    expect(phone.locator("#chain-needs-provider")).to_be_visible()
    expect(phone.locator("#add-to-chain")).to_have_count(0)  # nothing to chain yet
    phone.fill("#endpoint-name", "local-model-server")
    phone.fill("#endpoint-url", "http://127.0.0.1:9/v1")
    phone.fill("#endpoint-models", "a-model-with-a-long-name")
    phone.click("#save-endpoint")
    expect(phone.locator(".provider-row")).to_have_count(1)
    expect(phone.locator("#add-to-chain")).to_be_disabled()  # until a model is picked

    for path, ready in [
        ("/", "#create-project"),
        (project_url, "#project-title"),
        (note_url, "#note-title"),
        ("/memory", ".memory-card"),
        ("/settings/members", ".member-row"),
        ("/settings/providers", ".provider-row"),
        ("/settings/account", ".session-row"),
    ]:
        phone.goto(path)
        expect(phone.locator(ready).first).to_be_visible()
        _no_sideways_scroll(phone, path)
    phone.screenshot(path="test-artifacts/phone-account.png", full_page=True)

    # The project's six tabs scroll inside their row (its edge fades to say so): the last is reachable.
    phone.goto(project_url)
    tabs = phone.locator(".nyx-tabs-scroll")
    assert tabs.evaluate("(el) => el.scrollWidth > el.clientWidth")
    phone.click("#tab-settings")
    expect(phone.locator("#save-settings")).to_be_visible()

    # The links are folded away behind the menu button; it opens and leads on.
    expect(phone.locator("#nav-memory")).to_be_hidden()
    phone.click("#nav-menu")
    expect(phone.locator("#nav-memory")).to_be_visible()
    expect(phone.locator("#logout")).to_be_visible()
    _no_sideways_scroll(phone, "the open menu")
    phone.screenshot(path="test-artifacts/phone-menu.png", full_page=True)
    phone.click("#nav-memory")
    expect(phone.locator(".memory-card")).to_have_count(1)
    expect(phone.locator("#nav-memory")).to_have_attribute("aria-current", "page")
    expect(phone.locator("#nav-memory")).to_be_hidden()  # folded again after choosing
    phone.click("#nav-menu")
    expect(phone.locator("#nav-memory")).to_be_visible()
    phone.reload()  # and after a reload, which keeps the tab's state
    expect(phone.locator(".memory-card")).to_have_count(1)
    expect(phone.locator("#nav-memory")).to_be_hidden()


def test_current_page_theme_404_and_icon(page: Page, browser: Browser, app_url: str) -> None:
    register(page, "Uma", "Uma's team")
    expect(page.locator("#nav-projects")).to_have_attribute("aria-current", "page")
    expect(page.locator("#nav-memory")).not_to_have_attribute("aria-current", "page")
    page.click("#nav-memory")
    expect(page.locator("#nav-memory")).to_have_attribute("aria-current", "page")

    # Dark theme: toggled, kept across reloads and new tabs, and back.
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.click("#theme-toggle")
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    page.reload()
    expect(page.locator(".memory-card, #no-memories").first).to_be_visible()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    tab = page.context.new_page()
    tab.goto("/settings/account")
    expect(tab.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    tab.screenshot(path="test-artifacts/account-dark.png", full_page=True)
    tab.close()
    page.click("#theme-toggle")
    expect(html).to_have_class(re.compile(r"\blight\b"))

    # An unknown address: a 404 inside the frame, with the navigation for a signed-in user.
    page.goto("/no/such/page")
    expect(page.locator("#not-found")).to_have_text("Page not found")
    expect(page.locator("#nav-projects")).to_be_visible()
    page.get_by_role("link", name="Back to projects").click()
    expect(page.locator("#create-project")).to_be_visible()
    visitor = browser.new_context(base_url=app_url).new_page()
    visitor.goto("/projects/nope/and/more")
    expect(visitor.locator("#not-found")).to_be_visible()
    expect(visitor.locator("#login-link")).to_be_visible()  # a visitor sees no workspace navigation
    visitor.context.close()

    for path, kind in [
        ("/favicon.ico", "image/"),
        ("/icon.svg", "image/svg+xml"),
        ("/apple-touch-icon.png", "image/png"),
    ]:
        with urllib.request.urlopen(app_url + path) as response:
            assert response.status == 200 and response.headers["content-type"].startswith(kind), path
    expect(page.locator("link[rel=icon][href='/icon.svg']")).to_have_count(1)


def test_destructive_actions_ask_first_and_cancel_keeps_everything(page: Page) -> None:
    register(page, "Vic", "Vic's team")
    goto_signed_in(page, "/memory")
    page.fill("#new-memory-title", "Keep me")
    page.click("#add-memory")
    card = page.locator(".memory-card", has_text="Keep me")
    card.locator(".delete-memory").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Delete this memory?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(card).to_be_visible()
    card.locator(".delete-memory").click()
    page.locator(".confirm-delete-memory").click()
    expect(page.get_by_text("Memory entry moved to the trash")).to_be_visible()  # and says what happened
    expect(page.locator("#no-memories")).to_be_visible()
