"""A member's hostile Markdown, opened by the workspace owner: nothing runs, restyles, navigates or
calls out. Member B writes a note and a memory entry full of payloads (tests/fakes/hostile_markdown);
owner A opens the project page, the note page and the Memory Hub in Chromium."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Dialog, Page, Request, expect

from tests.e2e.helpers import create_note, create_project, login, open_project, register, unique_email
from tests.fakes.hostile_markdown import HOSTILE_DOCUMENT

pytestmark = pytest.mark.e2e

MARKER = "Benign marker"
DOCUMENT = f"**{MARKER}**: a [plain link](https://example.test/docs) and a table.\n\n{HOSTILE_DOCUMENT}"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Everything a payload could leave behind in the page, read in one go.
INSPECT = """() => {
  const roots = [...document.querySelectorAll('.nyx-markdown')];
  const inside = (sel) => roots.flatMap(r => [...r.querySelectorAll(sel)]);
  const forbidden = 'script,iframe,frame,style,link,meta,base,form,input,button,textarea,select,object,embed,'
    + 'svg,math,video,audio,source,details,div';
  const body = getComputedStyle(document.body);
  return {
    roots: roots.length,
    text: roots.map(r => r.innerText).join('\\n'),
    forbidden: inside(forbidden).map(e => e.tagName.toLowerCase()),
    attributes: inside('*').flatMap(e => [...e.attributes]
      .filter(a => a.name.startsWith('on') || a.name === 'srcdoc'
        || (a.name === 'style' && !/^text-align:(left|center|right)$/.test(a.value)))
      .map(a => `${e.tagName.toLowerCase()} ${a.name}`)),
    images: inside('img[src]').map(i => i.getAttribute('src')).filter(s => !s.startsWith('/api/images/')),
    hrefs: inside('a[href]').map(a => a.href),
    pageWide: document.querySelectorAll('iframe, base, meta[http-equiv], link[href*="evil"], form[action*="evil"]')
      .length,
    frames: window.frames.length,
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    title: document.title,
    look: [body.backgroundColor, body.visibility, body.display, body.color],
  };
}"""


def _app_member(page: Page) -> tuple[str, str]:
    """Owner A registers, makes a project and adds B as a plain member; B's e-mail and password."""
    register(page, "Ann Owner", "Ann's team")
    create_project(page, "Pentest")
    email, password = unique_email("bob"), "bob-initial-1"
    page.goto("/settings/members")
    page.fill("#member-email", email)
    page.fill("#member-name", "Bob Member")
    page.fill("#member-password", password)
    page.click("#add-member")
    expect(page.locator(".member-row", has_text=email)).to_contain_text("member")
    return email, password


def _member_writes_payloads(browser: Browser, app_url: str, email: str, password: str) -> None:
    context = browser.new_context(base_url=app_url)
    context.set_default_timeout(20_000)
    bob = context.new_page()
    login(bob, email, password)
    open_project(bob, "Pentest")
    create_note(bob, "Hostile note", DOCUMENT)
    expect(bob.locator(".note-content")).to_contain_text(MARKER)
    bob.goto("/memory")
    bob.fill("#new-memory-title", "Hostile memory")
    bob.fill("#new-memory-content", DOCUMENT)
    bob.click("#add-memory")
    expect(bob.locator(".memory-card", has_text="Hostile memory")).to_contain_text(MARKER)
    context.close()


def _assert_inert(page: Page, url: str, plain_look: list[str], where: str, *, markdown: bool = True) -> None:
    """``markdown=False``: a page that shows the content only as plain text (the notes list)."""
    page.wait_for_load_state("networkidle")  # whatever the page would fetch or start has started
    seen: dict[str, Any] = page.evaluate(INSPECT)
    assert seen["pwned"] is None and seen["title"] != "pwned", f"{where}: a payload ran"
    if not markdown:
        assert seen["roots"] == 0, f"{where}: Markdown rendered where only plain text belongs"
        assert page.url == url and seen["pageWide"] == 0 and seen["frames"] == 0, where
        assert seen["look"] == plain_look, f"{where}: the page's look changed"
        return
    assert seen["roots"] >= 1, where
    assert page.url == url, f"{where}: navigated to {page.url}"
    assert seen["forbidden"] == [], f"{where}: payload elements in the content"
    assert seen["attributes"] == [], f"{where}: handler or style attributes"
    assert seen["pageWide"] == 0 and seen["frames"] == 0, f"{where}: a frame, base or meta in the page"
    assert seen["images"] == [], f"{where}: an outside image in the content"
    assert all(h.startswith(("http://", "https://", "mailto:")) for h in seen["hrefs"]), seen["hrefs"]
    assert seen["look"] == plain_look, f"{where}: the page's look changed"
    # Raw HTML is visible as text, and outside images as a link with their alt text.
    assert "<script>" in seen["text"] and "<iframe srcdoc=" in seen["text"], where
    assert "tracking pixel" in seen["text"] and MARKER in seen["text"], where


def test_a_members_hostile_markdown_is_inert_for_the_owner(page: Page, browser: Browser, app_url: str) -> None:
    email, password = _app_member(page)
    _member_writes_payloads(browser, app_url, email, password)

    outside: list[str] = []
    dialogs: list[str] = []
    navigations: list[str] = []

    def on_request(request: Request) -> None:
        host = urlsplit(request.url).hostname
        if host is not None and host not in LOOPBACK:
            outside.append(request.url)

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.context.on("request", on_request)
    page.on("dialog", on_dialog)
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    page.goto("/")
    expect(page.locator(".project-card", has_text="Pentest")).to_be_visible()
    plain_look: list[str] = page.evaluate(INSPECT)["look"]

    open_project(page, "Pentest")
    note_card = page.locator(".note-card", has_text="Hostile note")
    # The list shows an excerpt as plain text: the payloads are just their words.
    expect(note_card.locator(".note-excerpt")).to_contain_text(f"{MARKER}: a plain link")
    _assert_inert(page, page.url, plain_look, "project page", markdown=False)
    page.screenshot(path="test-artifacts/hostile-markdown-project.png", full_page=True)

    note_card.locator(".note-title").click()
    expect(page.locator("#note-title")).to_have_text("Hostile note")
    expect(page.locator(".note-content")).to_contain_text(MARKER)
    _assert_inert(page, page.url, plain_look, "note page")

    page.goto("/memory")
    expect(page.locator(".memory-card", has_text="Hostile memory").locator(".memory-content")).to_contain_text(MARKER)
    _assert_inert(page, page.url, plain_look, "Memory Hub")

    assert dialogs == []
    assert outside == [], f"requests left for outside hosts: {outside}"
    assert all(url.startswith(app_url) for url in navigations), navigations
