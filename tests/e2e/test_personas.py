"""Personas in Chromium: the starter team, a persona saved without specializations gets three
with the keywords that decided them, a portrait is uploaded (a fake image is refused), duplicate
and delete; the PersonaPicker finds personas by search and folds its sections."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_project, open_project, register

pytestmark = pytest.mark.e2e

DESCRIPTION = (
    "Hunts performance problems: profiling, latency and throughput, caching, and slow PostgreSQL queries "
    "with the wrong index. Writes a benchmark before and after every optimization, and keeps monitoring on."
)


def png(size: int = 160, color: str = "purple") -> dict[str, object]:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, "PNG")
    return {"name": "portrait.png", "mimeType": "image/png", "buffer": out.getvalue()}


def card(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f".persona-card[data-persona='{name}']")


def test_create_a_persona_without_specializations_and_see_three_filled_in(page: Page) -> None:
    register(page, "Nora", "Nora's lab")
    page.click("text=Personas")
    expect(page.locator(".persona-card")).to_have_count(5)  # the starter team
    expect(card(page, "Mara Okafor").locator(".persona-specialization").first).to_have_text("Security")
    expect(card(page, "Mara Okafor").locator(".persona-level")).to_have_text("Level 1")

    expect(page.locator("#nav-personas")).to_have_attribute("aria-current", "page")
    page.click("#new-persona")
    page.fill("#persona-name", "Mara Okafor")  # taken: said at the name field, the dialog stays open
    page.click("#save-persona")
    expect(page.locator("#persona-name-error")).to_contain_text("already a persona named 'Mara Okafor'")
    expect(page.locator("#persona-name")).to_have_attribute("aria-invalid", "true")
    page.fill("#persona-name", "Otto Speed")
    page.fill("#persona-role", "Performance engineer")
    page.fill("#persona-description", DESCRIPTION)
    page.fill("#persona-traits", "patient, numbers first")
    page.click("#suggest-specializations")  # what would be chosen, and why, before saving
    expect(page.locator(".suggestion-reason").first).to_contain_text("Performance: ")
    page.fill("#persona-specializations", "")  # left empty: filled in on save
    page.click("#save-persona")

    otto = card(page, "Otto Speed")
    expect(otto.locator(".persona-specialization")).to_have_text(
        ["Performance", "Databases", "DevOps & infrastructure"]
    )
    expect(otto.locator(".persona-evidence").first).to_contain_text("Performance: ")
    expect(otto.locator(".persona-evidence").first).to_contain_text("latency")
    expect(otto.locator(".persona-trait")).to_have_text(["patient", "numbers first"])
    expect(otto.locator(".persona-uses")).to_have_text("no uses yet")
    page.screenshot(path="test-artifacts/personas-grid.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the personas page is {width} px wide on a 390 px screen"
    page.screenshot(path="test-artifacts/personas-phone.png", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A portrait: a text file wearing a .png name is refused; a real image replaces the avatar.
    otto.locator(".edit-persona").click()
    fake = {"name": "me.png", "mimeType": "image/png", "buffer": b"not a picture at all\n"}
    page.locator(".portrait-upload input[type=file]").set_input_files([fake])
    expect(page.locator("#portrait-error")).to_have_text(
        "me.png: This is not an image we can read. Upload a PNG, JPEG, WebP or GIF file."
    )
    page.locator(".portrait-upload input[type=file]").set_input_files([png()])
    expect(page.locator("#remove-portrait")).to_be_visible()
    page.click("#save-persona")
    portrait = otto.locator(".persona-portrait")
    expect(portrait).to_have_attribute("src", re.compile(r"/api/personas/[0-9a-f-]+/portrait/thumb\?v=\w+"))
    # Served by the authenticated route and decoded by the browser.
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=portrait.element_handle())

    otto.locator(".duplicate-persona").click()
    expect(card(page, "Otto Speed (copy)")).to_be_visible()
    card(page, "Otto Speed (copy)").locator(".delete-persona").click()
    page.locator(".confirm-delete-persona").click()
    expect(card(page, "Otto Speed (copy)")).to_have_count(0)
    expect(page.locator(".persona-card")).to_have_count(6)


def test_the_picker_finds_personas_by_search_and_folds_sections(page: Page) -> None:
    register(page, "Pavel", "Pavel's team")
    create_project(page, "Checkout")
    open_project(page, "Checkout")
    page.click("#tab-discussions")
    picker = page.locator("#discussion-picker")
    expect(picker.locator(".picker-persona")).to_have_count(5)

    page.fill("#discussion-picker-search", "accessib")  # a specialization, not a name
    expect(picker.locator(".picker-persona")).to_have_count(1)
    expect(picker.locator(".picker-persona-name")).to_have_text("Jonas Weber")
    page.fill("#discussion-picker-search", "lena")  # a name
    expect(picker.locator(".picker-persona-name")).to_have_text("Lena Fischer")
    page.fill("#discussion-picker-search", "nobody at all")
    expect(picker.locator(".picker-empty")).to_be_visible()
    page.fill("#discussion-picker-search", "")

    databases = picker.locator(".picker-section[data-category='Databases']")
    expect(databases.locator(".picker-persona")).to_have_count(1)
    databases.locator(".picker-section-toggle").click()
    expect(databases.locator(".picker-persona")).to_have_count(0)
    expect(picker.locator(".picker-persona")).to_have_count(4)

    picker.locator(".picker-persona[data-persona='Mara Okafor']").click()
    picker.locator(".picker-persona[data-persona='Jonas Weber']").click()
    expect(picker.locator(".picker-persona.selected")).to_have_count(2)
    expect(page.locator("#picked-count")).to_have_text("2 of 2-5 chosen")
    page.screenshot(path="test-artifacts/persona-picker.png", full_page=True)
    databases.locator(".picker-section-toggle").click()
    expect(picker.locator(".picker-persona")).to_have_count(5)
