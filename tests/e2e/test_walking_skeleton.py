"""The issue's user journey, in Chromium against the running app."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import (
    PASSWORD,
    create_note,
    create_project,
    login,
    logout,
    open_project,
    register,
    unique_email,
)

pytestmark = pytest.mark.e2e


def test_two_tenants_never_see_each_other(page: Page) -> None:
    register(page, "Ada", "Ada's team")
    create_project(page, "Apollo", "Moon landing software")
    open_project(page, "Apollo")
    project_url = page.url

    page.click("#tab-settings")
    page.fill("#settings-github-url", "https://github.com/nasa/apollo-11")
    page.fill("#settings-scan-path", "")
    page.click("#save-settings")
    expect(page.locator("#scan-path-display")).to_have_text("/")
    page.fill("#settings-scan-path", "/src/guidance/")
    page.click("#save-settings")
    expect(page.locator("#scan-path-display")).to_have_text("/src/guidance")

    page.click("#tab-notes")
    create_note(page, "Launch checklist", "# Go/No-Go\n\n- **fuel** loaded\n- crew aboard")
    expect(page.locator(".note-content h1")).to_have_text("Go/No-Go")
    expect(page.locator(".note-content strong")).to_have_text("fuel")
    note_url = page.url
    page.click("#back-to-project")
    expect(page.locator(".note-card", has_text="Launch checklist")).to_contain_text("Go/No-Go fuel loaded")
    page.screenshot(path="test-artifacts/project-notes.png", full_page=True)

    logout(page)
    page.goto(project_url)
    expect(page.locator("#login-submit")).to_be_visible()  # signed out: the page is not shown

    register(page, "Bob", "Bob's team")
    expect(page.locator(".project-card")).to_have_count(0)
    expect(page.get_by_text("Apollo")).to_have_count(0)
    page.goto(project_url)
    expect(page.locator("#not-found")).to_have_text("Project not found")
    expect(page.get_by_text("Apollo")).to_have_count(0)
    expect(page.get_by_text("Launch checklist")).to_have_count(0)
    page.goto(note_url)
    expect(page.locator("#not-found")).to_have_text("Note not found")
    expect(page.get_by_text("Go/No-Go")).to_have_count(0)


def test_bad_input_gets_a_clear_message(page: Page) -> None:
    email = register(page, "Cleo", "Cleo's team")
    page.click("#create-project")
    expect(page.locator("#new-project-name-error")).to_contain_text("Project name cannot be empty")
    create_project(page, "Dup")
    page.fill("#new-project-name", "Dup")
    page.click("#create-project")
    expect(page.locator("#new-project-name-error")).to_contain_text("already exists")
    expect(page.locator("#new-project-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".project-card")).to_have_count(1)

    page.goto("/projects/00000000-0000-0000-0000-000000000000")
    expect(page.locator("#not-found")).to_be_visible()
    page.goto("/projects/not-a-uuid")
    expect(page.locator("#not-found")).to_be_visible()

    logout(page)
    page.fill("#email", email)
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    expect(page.locator("#form-error")).to_have_text("E-mail or password is wrong.")
    page.fill("#email", unique_email("nobody"))
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#form-error")).to_have_text("E-mail or password is wrong.")

    page.goto("/register")
    page.fill("#name", "Cleo again")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#workspace", "Another")
    page.click("#register-submit")
    expect(page.locator("#email-error")).to_have_text("An account with this e-mail already exists. Log in instead.")
    # What was typed comes back (never the password), and every field says what is wrong with it.
    expect(page.locator("#name")).to_have_value("Cleo again")
    expect(page.locator("#email")).to_have_value(email)
    expect(page.locator("#workspace")).to_have_value("Another")
    expect(page.locator("#password")).to_have_value("")
    page.fill("#name", "x" * 121)
    page.fill("#email", unique_email("cleo"))
    page.fill("#password", "short")
    page.fill("#workspace", "y" * 121)
    page.click("#register-submit")
    expect(page.locator("#name-error")).to_have_text("Name is too long (at most 120 characters).")
    expect(page.locator("#password-error")).to_have_text("The password needs at least 8 characters.")
    expect(page.locator("#workspace-error")).to_have_text("Workspace name is too long (at most 120 characters).")
    expect(page.locator("#email-error")).to_have_count(0)

    # Codes in a crafted URL show only the app's own words; free text never appears.
    page.goto("/login?error=wrong,Call%20555-0100%20to%20unlock&wait=3")
    expect(page.locator("#form-error")).to_have_text("E-mail or password is wrong.")
    expect(page.get_by_text("555-0100")).to_have_count(0)


def test_projects_rename_publish_delete_and_notes_edit(page: Page) -> None:
    register(page, "Dan", "Dan's team")
    create_project(page, "Draft")
    card = page.locator(".project-card", has_text="Draft")
    card.get_by_role("button", name="Rename / describe").click()
    page.fill("#edit-project-name", "Final")
    page.fill("#edit-project-description", "Renamed and described")
    page.click("#save-project")
    card = page.locator(".project-card", has_text="Final")
    expect(card).to_contain_text("Renamed and described")
    card.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("only the notes marked public")
    page.locator(".confirm-publish").click()
    expect(card.get_by_text("published")).to_be_visible()
    card.get_by_role("button", name="Unpublish").click()
    page.locator(".confirm-unpublish").click()
    expect(card.get_by_text("private")).to_be_visible()

    open_project(page, "Final")
    create_note(page, "Todo", "first")
    page.click("#edit-note")  # a note is edited on its own page
    page.fill("#edit-note-content", "second *version*")
    page.click("#save-note")
    expect(page.locator(".note-content em")).to_have_text("version")
    page.reload()
    expect(page.locator(".note-content")).to_contain_text("second")
    page.locator(".delete-note").click()
    page.locator(".confirm-delete-note").click()
    expect(page.locator("#project-title")).to_have_text("Final")
    expect(page.locator(".note-card")).to_have_count(0)

    page.goto("/")
    page.locator(".project-card", has_text="Final").get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#no-projects")).to_be_visible()


def test_memory_hub_create_search_edit_delete(page: Page) -> None:
    register(page, "Eve", "Eve's team")
    page.goto("/memory")
    for title, content, tags in [
        ("Deploy steps", "Always push before deploying to production", "ops, deploy"),
        ("Vector column", "Never run db push; it drops the embedding column", "database"),
    ]:
        page.fill("#new-memory-title", title)
        page.fill("#new-memory-content", content)
        page.fill("#new-memory-tags", tags)
        page.click("#add-memory")
        expect(page.locator(".memory-card", has_text=title)).to_be_visible()

    page.fill("#memory-query", "deploying")
    page.click("#memory-search")
    expect(page.locator(".memory-card")).to_have_count(1)
    expect(page.locator(".memory-card")).to_contain_text("Deploy steps")
    page.fill("#memory-query", "database")
    page.click("#memory-search")
    expect(page.locator(".memory-card")).to_have_count(1)
    expect(page.locator(".memory-card")).to_contain_text("Vector column")
    page.fill("#memory-query", "kubernetes")
    page.click("#memory-search")
    expect(page.locator("#no-memories")).to_contain_text("Nothing matches")

    page.fill("#memory-query", "")
    page.click("#memory-search")
    page.locator(".memory-card", has_text="Deploy steps").locator(".edit-memory").click()
    page.fill("#edit-memory-title", "Deploy checklist")
    page.click("#save-memory")
    expect(page.locator(".memory-card", has_text="Deploy checklist")).to_be_visible()
    page.screenshot(path="test-artifacts/memory-hub.png", full_page=True)
    page.locator(".memory-card", has_text="Deploy checklist").locator(".delete-memory").click()
    expect(page.locator(".memory-card")).to_have_count(2)  # asked first
    page.locator(".confirm-delete-memory").click()
    expect(page.locator(".memory-card")).to_have_count(1)


def test_owner_adds_a_member_who_switches_tenants_and_loses_access_when_removed(
    page: Page, browser: Browser, app_url: str
) -> None:
    member_email = register(page, "Finn", "Finn's own team")
    logout(page)
    owner_email = register(page, "Gail", "Gail's team")
    create_project(page, "Shared work")
    page.goto("/settings/members")
    page.fill("#member-email", member_email)
    page.fill("#member-password", "ignored-for-existing")
    page.click("#add-member")
    expect(page.locator(".member-row", has_text=member_email)).to_contain_text("member")
    new_email = unique_email("newbie")
    page.fill("#member-email", new_email)
    page.fill("#member-name", "Newbie")
    page.fill("#member-password", "initial-pass-1")
    page.click("#add-member")
    expect(page.locator(".member-row", has_text=new_email)).to_be_visible()
    page.screenshot(path="test-artifacts/members.png", full_page=True)

    # The new account logs in with its initial password and sees the tenant's project.
    logout(page)
    login(page, new_email, "initial-pass-1")
    expect(page.locator(".project-card", has_text="Shared work")).to_be_visible()
    logout(page)

    # Finn is in two tenants and switches between them.
    login(page, member_email)
    page.click("#tenant-switcher")
    page.get_by_role("option", name="Gail's team").click()
    expect(page.locator(".project-card", has_text="Shared work")).to_be_visible()
    page.click("#tenant-switcher")
    page.get_by_role("option", name="Finn's own team").click()
    expect(page.locator(".project-card")).to_have_count(0)
    page.click("#tenant-switcher")
    page.get_by_role("option", name="Gail's team").click()
    expect(page.locator(".project-card", has_text="Shared work")).to_be_visible()

    # Gail removes Finn from another browser; Finn's very next event no longer shows Gail's data.
    other = browser.new_context(base_url=app_url)
    gail = other.new_page()
    login(gail, owner_email)
    gail.goto("/settings/members")
    gail.locator(".member-row", has_text=member_email).get_by_role("button", name="Remove").click()
    gail.locator(".confirm-remove-member").click()
    expect(gail.locator(".member-row", has_text=member_email)).to_have_count(0)
    other.close()

    page.fill("#new-project-name", "Sneaky")
    page.click("#create-project")
    expect(page.locator(".project-card", has_text="Shared work")).to_have_count(0)
    expect(page.locator("#tenant-switcher")).to_have_text("Finn's own team")


def test_a_note_saved_from_two_tabs_shows_a_conflict_instead_of_losing_work(page: Page) -> None:
    register(page, "Hal", "Hal's team")
    create_project(page, "Tabs")
    open_project(page, "Tabs")
    create_note(page, "Shared note", "original")
    second = page.context.new_page()  # same login, another tab
    second.goto(page.url)
    for tab in (page, second):
        tab.click("#edit-note")
    page.fill("#edit-note-content", "from tab one")
    page.click("#save-note")
    expect(page.locator(".note-content")).to_have_text("from tab one")

    second.fill("#edit-note-content", "from tab two")
    second.click("#save-note")
    expect(second.locator("#form-error")).to_contain_text("changed elsewhere")
    expect(second.locator("#edit-note-content")).to_have_value("from tab two")  # nothing lost
    # Reloaded, the saved note shows, and the second tab's text waits as a draft to be chosen.
    second.reload()
    expect(second.locator(".note-content")).to_have_text("from tab one")
    expect(second.locator("#stale-draft")).to_contain_text("older version")
    second.click("#use-draft")
    expect(second.locator("#edit-note-content")).to_have_value("from tab two")
    second.click("#save-note")
    expect(second.locator(".note-content")).to_have_text("from tab two")
