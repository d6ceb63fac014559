"""The notes workspace in the browser: a project's notes as compact cards (search, sort, pages),
and a note's own page as the place to write: live preview, a draft that survives a reload, and a
warning before leaving unsaved text behind."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.helpers import PASSWORD, create_project, login, open_project, register, seed_notes

pytestmark = pytest.mark.e2e


def titles(page: Page) -> list[str]:
    return page.locator(".note-card .note-title").all_inner_texts()


def test_many_notes_are_listed_a_page_at_a_time_searched_and_sorted(page: Page, app_env: dict[str, str]) -> None:
    email, project = seed_notes(app_env, 60)
    login(page, email, PASSWORD)
    open_project(page, project)
    expect(page.locator("#notes-count")).to_have_text("60 notes")
    expect(page.locator(".note-card")).to_have_count(24)
    assert titles(page)[:2] == ["Note 59", "Note 58"]  # last changed first
    page.click("#show-more-notes")
    expect(page.locator(".note-card")).to_have_count(48)
    page.click("#show-more-notes")
    expect(page.locator(".note-card")).to_have_count(60)
    expect(page.locator("#show-more-notes")).to_have_count(0)

    # A card: an excerpt in plain words, the image count and the first image's thumbnail.
    card = page.locator(".note-card", has_text="Note 07")
    expect(card.locator(".note-excerpt")).to_have_text("About the login screen, part 7.")
    expect(card.locator(".note-image-count")).to_have_text("2")
    card.locator(".note-thumb").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.note-thumb')].some(i => i.complete && i.naturalWidth === 40)"
    )

    page.fill("#note-search", "deploy")  # the beginning of a word is enough
    expect(page.locator("#notes-count")).to_have_text("12 notes match")
    expect(page.locator(".note-card")).to_have_count(12)
    page.fill("#note-search", "deploy part 35")
    expect(page.locator("#notes-count")).to_have_text("1 note matches")
    page.fill("#note-search", "kubernetes")
    expect(page.locator("#no-notes")).to_have_text("No note matches.")
    page.fill("#note-search", "")
    expect(page.locator("#notes-count")).to_have_text("60 notes")

    page.click("#note-sort")
    page.get_by_role("option", name="Title A-Z").click()
    expect(page.locator(".note-card").first).to_contain_text("Note 00")
    page.screenshot(path="test-artifacts/notes-list.png", full_page=True)

    # A new note: a toast, its own page in the editor; back on the list it is at the top.
    page.fill("#new-note-title", "Fresh idea")
    page.click("#add-note")
    expect(page.get_by_text("Note “Fresh idea” created")).to_be_visible()
    expect(page.locator("#note-title")).to_have_text("Fresh idea")
    expect(page.locator("#edit-note-content")).to_be_visible()
    page.go_back()
    expect(page.locator(".note-card").first).to_contain_text("Fresh idea")
    expect(page.locator("#notes-count")).to_have_text("61 notes")


def test_a_draft_survives_a_reload_and_leaving_unsaved_text_asks_first(page: Page) -> None:
    register(page, "Dora", "Dora's desk")
    create_project(page, "Journal")
    open_project(page, "Journal")
    page.fill("#new-note-title", "Diary")
    page.click("#add-note")
    editor = page.locator("#edit-note-content")
    editor.fill("Dear **diary**, today")
    expect(page.locator(".note-preview strong")).to_have_text("diary")  # rendered on the server
    expect(page.locator("#draft-status")).to_contain_text("kept as a draft")

    # Closing or reloading the tab asks first (the browser's own dialog); staying keeps the tab.
    with page.expect_event("dialog") as closing:
        page.close(run_before_unload=True)
    assert closing.value.type == "beforeunload"
    closing.value.dismiss()
    expect(editor).to_have_value("Dear **diary**, today")
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()

    # The draft comes back after the reload, in the editor.
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(editor).to_have_value("Dear **diary**, today")
    expect(page.locator(".note-preview strong")).to_have_text("diary")

    # A link inside the app asks too; staying keeps everything as it was.
    editor.fill("Dear **diary**, today it rained")
    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.click("#back-to-project")
    expect(editor).to_have_value("Dear **diary**, today it rained")
    assert asked and "unsaved changes" in asked[0]
    page.once("dialog", answer(True))
    page.click("#back-to-project")
    expect(page.locator("#project-title")).to_have_text("Journal")

    # Back on the note, the draft is waiting; saved, it is the note, and leaving asks nothing.
    page.locator(".note-card", has_text="Diary").click()
    expect(editor).to_have_value("Dear **diary**, today it rained")
    page.click("#save-note")
    expect(page.locator(".note-content")).to_have_text("Dear diary, today it rained")
    page.click("#back-to-project")
    expect(page.locator(".note-card", has_text="Diary")).to_contain_text("today it rained")
    assert len(asked) == 2
    page.locator(".note-card", has_text="Diary").click()
    expect(page.locator("#draft-restored")).to_have_count(0)
    expect(page.locator("#edit-note-content")).to_have_count(0)
