"""Forgiving deletes in Chromium: a deleted note comes back with Undo in the toast, or from the Trash
page; a deleted workflow and memory entry wait there too; emptying removes them for good."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_note, create_project, open_project, register

pytestmark = pytest.mark.e2e


def _delete_note(page: Page) -> None:
    page.locator(".delete-note").click()
    page.locator(".confirm-delete-note").click()
    expect(page.locator("#project-title")).to_be_visible()  # back on the project


def test_undo_and_the_trash_page(page: Page) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    register(page, "Tilda", "Tilda's team")
    create_project(page, "Binned")
    open_project(page, "Binned")
    project_url = page.url
    create_note(page, "Doomed", "Some **text** worth keeping.")
    note_url = page.url

    _delete_note(page)
    toast = page.locator("[data-sonner-toast]", has_text="Note moved to the trash")
    expect(toast).to_be_visible()
    toast.get_by_role("button", name="Undo").click()
    expect(page).to_have_url(re.compile(re.escape(note_url) + r"\?restored="))
    expect(page.locator("#note-title")).to_have_text("Doomed")
    expect(page.locator(".nyx-markdown strong")).to_have_text("text")

    _delete_note(page)
    page.goto(project_url + "?tab=workflows")
    page.click("#create-blank")
    page.wait_for_url(re.compile(r"/workflows/"))
    page.goto(project_url + "?tab=workflows")
    page.locator(".delete-workflow").click()
    page.locator(".confirm-delete-workflow").click()
    expect(page.locator("[data-sonner-toast]", has_text="Workflow moved to the trash")).to_be_visible()

    page.goto("/trash")
    rows = page.locator(".trash-row")
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".trash-kind")).to_have_text("Workflow")
    expect(rows.nth(1).locator(".trash-title")).to_have_text("Doomed")
    expect(rows.nth(1).locator(".trash-where")).to_have_text("Binned")
    page.screenshot(path="test-artifacts/trash-1440.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="test-artifacts/trash-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1440, "height": 900})

    rows.nth(1).locator(".restore-item").click()
    expect(rows).to_have_count(1)
    page.goto(project_url + "?tab=notes")
    expect(page.locator(".note-title", has_text="Doomed")).to_be_visible()

    page.goto("/trash")
    page.locator(".empty-trash").click()
    page.locator(".confirm-empty-trash").click()
    expect(page.locator("#trash-empty")).to_contain_text("The trash is empty")
