"""Editing and the keyboard in Chromium: shortcuts (c, g p / g m, ?), none while typing; the note
editor's toolbar and Ctrl+S; images reordered by dragging (arrows kept); the lightbox names the
file, shows the description, zooms and downloads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_project, register
from tests.fakes.images import image_bytes

pytestmark = pytest.mark.e2e


def _order(page: Page) -> list[str | None]:
    cards = page.locator(".image-card")
    return [cards.nth(i).get_attribute("data-image-id") for i in range(cards.count())]


def test_shortcuts_toolbar_ctrl_s_drag_and_lightbox(page: Page) -> None:
    register(page, "Kei", "Kei's team")
    # "c" creates in the current list: here, a project.
    page.locator("body").press("c")
    expect(page.locator("#new-project-name")).to_be_focused()
    page.keyboard.type("Keys")  # typing "c"-containing text in a field triggers nothing
    page.keyboard.type(" c g p")
    expect(page.locator("#new-project-name")).to_have_value("Keys c g p")
    page.keyboard.press("Enter")
    open_project(page, "Keys c g p")

    page.locator("body").press("c")
    expect(page.locator("#new-note-title")).to_be_focused()
    page.keyboard.type("Shortcuts")
    page.keyboard.press("Enter")
    expect(page.locator("#note-title")).to_have_text("Shortcuts")
    area = page.locator("#edit-note-content")
    area.fill("make this loud")
    area.evaluate("(el) => el.setSelectionRange(10, 14)")  # "loud"
    page.click("#format-toolbar .format-bold")
    expect(area).to_have_value("make this **loud**")
    page.click("#format-toolbar .format-list")
    expect(area).to_have_value("- make this **loud**")
    area.press("Control+s")
    expect(page.locator("#edit-note-content")).to_have_count(0)  # saved: the editor closed
    expect(page.locator(".nyx-markdown li strong")).to_have_text("loud")

    page.locator(".image-drop-zone input[type=file]").set_input_files(
        [{"name": f"shot{i}.png", "mimeType": "image/png", "buffer": image_bytes(size=(80 + i, 60))} for i in range(3)]
    )
    expect(page.locator(".image-card")).to_have_count(3, timeout=30_000)
    before = _order(page)
    page.locator(".image-card").nth(2).drag_to(page.locator(".image-card").nth(0))
    expect(page.locator(".image-card").first).to_have_attribute("data-image-id", before[2] or "")
    assert _order(page) == [before[2], before[0], before[1]]
    expect(page.locator(".image-card").first.locator(".image-move-down")).to_be_visible()  # the keyboard way stays
    page.reload()
    expect(page.locator(".image-card").first).to_have_attribute("data-image-id", before[2] or "")

    page.locator(".image-card").first.locator(".image-description textarea, textarea.image-description").fill(
        "The landing screen"
    )
    page.locator("#note-title").click()  # leave the field: the description saves
    expect(page.get_by_text("Description saved")).to_be_visible()
    page.locator(".image-open").first.click()
    expect(page.locator(".lightbox-title")).to_have_text("shot2.png")
    expect(page.locator(".lightbox-description")).to_have_text("The landing screen")
    expect(page.locator("#lightbox-download")).to_have_attribute("download", "shot2.png")
    page.click("#lightbox-zoom")
    expect(page.locator("#lightbox-zoom")).to_have_attribute("aria-label", "Fit to the window")
    with page.expect_download() as got:
        page.click("#lightbox-download")
    assert got.value.suggested_filename == "shot2.png"
    page.keyboard.press("Escape")
    # Closed before "?": a "?" pressed while it closes opens the list under it, and the next Escape
    # would close what was left of the lightbox instead of the list.
    expect(page.locator(".lightbox-title")).to_have_count(0)

    page.locator("body").press("?")
    expect(page.locator("#shortcuts-list")).to_contain_text("go to the Memory Hub")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-list")).to_have_count(0)
    page.locator("body").press("g")
    page.locator("body").press("m")
    expect(page).to_have_url(re.compile(r"/memory$"))
    page.locator("body").press("g")
    page.locator("body").press("p")
    expect(page).to_have_url(re.compile(r"/$"))
