"""Every page passes axe-core with no serious or critical violation, at 1440 and 390 px, in the
light and the dark theme: signed out (login, register, not found, a public project page and a
public post) and signed in (each page and each tab of a project, with a sample project's notes,
run, discussion and report in it)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.axe import blocking
from tests.e2e.helpers import register

pytestmark = pytest.mark.e2e

SIZES = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
TABS = ("notes", "workflows", "runs", "discussions", "reports", "settings")


@pytest.fixture
def checked(browser: Browser, app_url: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=app_url, viewport=SIZES["1440"], bypass_csp=True)
    context.set_default_timeout(30_000)
    yield context
    context.close()


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.fonts.ready")
    # Radix animates dialogs and tabs in; axe must see the page at rest.
    page.wait_for_timeout(0)


def _check_everywhere(page: Page, url: str, ready: str, problems: list[str]) -> None:
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(url)
            expect(page.locator(ready).first).to_be_visible()
            _settle(page)
            problems += [f"{url} @{size} {theme}: {v}" for v in blocking(page)]


def _urls(page: Page) -> dict[str, str]:
    """A signed-in user's pages, made through the app: the sample project and what it holds."""
    page.click("#create-sample")
    expect(page.locator("#project-title")).to_have_text("Sample: Lunar lander", timeout=60_000)
    project = page.url.split("?")[0]
    page.locator(".note-title", has_text="Start here").click()
    expect(page.locator("#note-title")).to_be_visible()
    note = page.url
    page.goto(project + "?tab=runs")
    page.locator(".history-row", has_text="Image to implementation").locator(".history-link").click()
    expect(page.locator("#run-title")).to_be_visible()
    run = page.url
    page.goto(project + "?tab=reports")
    page.locator(".report-link").first.click()
    expect(page.locator("#report-title")).to_be_visible()
    report = page.url
    page.goto(project + "?tab=discussions")
    page.locator(".discussion-row").first.click()
    page.wait_for_url(re.compile(r"/discussions/"))
    discussion = page.url
    page.goto(project)
    expect(page.locator("#project-title")).to_be_visible()
    page.click("#tab-workflows")
    page.locator(".workflow-link").first.click()
    page.wait_for_url(re.compile(r"/workflows/"))
    workflow = page.url
    return {
        "/": "#create-project",
        **{f"{project}?tab={tab}": "#project-title" for tab in TABS},
        note: "#note-title",
        workflow: "#workflow-title",
        run: "#run-title",
        report: "#report-title",
        discussion: "main h1",
        "/memory": "main h1",
        "/personas": "main h1",
        "/settings/members": "main h1",
        "/settings/providers": "main h1",
        "/settings/account": "main h1",
        "/spend": "main h1",
        "/trash": "main h1",
        "/no-such-page": "#not-found",
    }


def test_signed_out_pages_pass_axe(checked: BrowserContext) -> None:
    page = checked.new_page()
    problems: list[str] = []
    for url, ready in (("/login", "#login-submit"), ("/register", "#register-submit")):
        _check_everywhere(page, url, ready, problems)
    assert problems == [], "\n".join(problems)


def test_every_signed_in_page_passes_axe(checked: BrowserContext) -> None:
    page = checked.new_page()
    try:
        register(page, "Ada Axe", "Ada's team")
        urls = _urls(page)
    except Exception:
        page.screenshot(path="test-artifacts/axe-setup-failure.png", full_page=True)
        raise
    problems: list[str] = []
    for url, ready in urls.items():
        _check_everywhere(page, url, ready, problems)
    assert problems == [], "\n".join(problems)
