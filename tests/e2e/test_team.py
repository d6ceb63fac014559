"""Teams: invitation links (used once), role changes, workspaces made from the switcher, renamed
and deleted by typing their name, and the sessions list where another login is ended."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import PASSWORD, goto_signed_in, login, register, unique_email

pytestmark = pytest.mark.e2e

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _invite(page: Page, role: str) -> str:
    goto_signed_in(page, "/settings/members")
    page.click("#invite-role")
    page.get_by_role("option", name=role, exact=True).click()
    page.click("#create-invite")
    link = page.locator("#invite-link")
    expect(link).to_have_value(re.compile(r"/invite/[0-9a-f]{32}\."))
    return link.input_value()


def test_an_invitation_link_brings_in_a_new_person_once(page: Page, browser: Browser, app_url: str) -> None:
    olga = register(page, "Olga", "Olga's crew")
    link = _invite(page, "admin")
    assert "/invite/" in link
    expect(page.locator(".invite-row")).to_have_count(1)

    # A new person, in a browser of their own: registration through the link, straight into the team.
    newcomer = browser.new_context(base_url=app_url).new_page()
    newcomer.goto(link)
    expect(newcomer.locator("#invitation")).to_contain_text("Olga's crew")
    expect(newcomer.locator("#invitation")).to_contain_text("admin")
    newcomer.click("#invite-register")
    expect(newcomer.locator("#invite-note")).to_contain_text("Olga's crew")
    expect(newcomer.locator("#workspace")).to_have_count(0)  # no workspace of their own to name
    email = unique_email("pavel")
    newcomer.fill("#name", "Pavel")
    newcomer.fill("#email", email)
    newcomer.fill("#password", PASSWORD)
    newcomer.click("#register-submit")
    expect(newcomer.locator("#create-project")).to_be_visible()
    expect(newcomer.locator("#tenant-switcher")).to_have_text("Olga's crew")
    newcomer.context.close()

    # The link is used up: a third browser is refused.
    late = browser.new_context(base_url=app_url).new_page()
    late.goto(link)
    expect(late.locator("#invite-problem")).to_have_text("This invitation has already been used. Ask for a new one.")
    expect(late.locator("#invite-register")).to_have_count(0)
    late.context.close()

    # Olga sees who joined, when and through whom, and makes Pavel a plain member.
    page.goto("/settings/members")
    row = page.locator(".member-row", has_text=email)
    expect(row.locator(".member-joined")).to_contain_text("invited by Olga")
    expect(page.locator(".invite-row")).to_have_count(0)
    row.get_by_role("combobox").click()
    page.get_by_role("option", name="member", exact=True).click()
    expect(page.get_by_text("Pavel is now a member")).to_be_visible()
    page.reload()
    expect(page.locator(".member-row", has_text=email).get_by_role("combobox")).to_have_text("member")
    # The only owner cannot be demoted by anyone: Olga's own row has no role control.
    expect(page.locator(".member-row", has_text=olga).get_by_role("combobox")).to_have_count(0)


def test_an_existing_user_logs_in_through_the_link_and_joins(page: Page, browser: Browser, app_url: str) -> None:
    guest_email = register(page, "Quentin", "Quentin's own")
    page.context.clear_cookies()
    register(page, "Rosa", "Rosa's lab")
    link = _invite(page, "member")
    guest = browser.new_context(base_url=app_url).new_page()
    guest.goto(link)
    guest.click("#invite-login")
    guest.fill("#email", guest_email)
    guest.fill("#password", PASSWORD)
    guest.click("#login-submit")
    expect(guest.locator("#invitation")).to_contain_text("signed in as")
    guest.click("#accept-invite")
    expect(guest.get_by_text("Welcome to Rosa's lab!")).to_be_visible()
    expect(guest.locator("#tenant-switcher")).to_have_text("Rosa's lab")
    guest.context.close()


def test_workspaces_are_made_renamed_and_deleted_by_typing_the_name(page: Page) -> None:
    register(page, "Sam", "Sam's first")
    page.click("#tenant-switcher")
    page.get_by_role("option", name="+ New workspace…").click()
    page.click("#create-workspace")
    expect(page.locator("#new-workspace-name-error")).to_have_text("Workspace name cannot be empty.")
    page.fill("#new-workspace-name", "Sam's second")
    page.click("#create-workspace")
    expect(page.locator("#tenant-switcher")).to_have_text("Sam's second")
    expect(page.locator("#no-projects")).to_be_visible()  # a fresh, empty workspace

    goto_signed_in(page, "/settings/members")
    page.fill("#workspace-name", "Sam's sandbox")
    page.click("#rename-workspace")
    expect(page.locator("#tenant-switcher")).to_have_text("Sam's sandbox")

    page.click("#delete-workspace")
    confirm = page.locator("#confirm-delete-workspace")
    expect(confirm).to_be_disabled()
    page.fill("#confirm-typed-name", "sam's sandbox")
    expect(confirm).to_be_disabled()
    page.fill("#confirm-typed-name", "Sam's sandbox")
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(page.get_by_text("Workspace Sam's sandbox deleted.")).to_be_visible()
    expect(page.locator("#tenant-switcher")).to_have_text("Sam's first")
    page.click("#tenant-switcher")
    expect(page.get_by_role("option", name="Sam's sandbox")).to_have_count(0)
    page.keyboard.press("Escape")

    # The last workspace stays: deleting it is refused with a reason.
    goto_signed_in(page, "/settings/members")
    page.click("#delete-workspace")
    page.fill("#confirm-typed-name", "Sam's first")
    page.click("#confirm-delete-workspace")
    expect(page.locator("#delete-workspace-error")).to_contain_text("This is your only workspace")


def test_sessions_are_listed_and_another_one_is_ended(page: Page, browser: Browser, app_url: str) -> None:
    email = register(page, "Tom", "Tom's team")
    laptop_context = browser.new_context(base_url=app_url, user_agent=FIREFOX)
    laptop = laptop_context.new_page()
    login(laptop, email)

    goto_signed_in(page, "/settings/account")
    rows = page.locator(".session-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("this browser")
    other = page.locator(".session-row", has_text="Firefox 128 on Windows")
    expect(other).to_contain_text("last used just now")
    other.locator(".end-session").click()
    page.locator(".confirm-end-session").click()
    expect(rows).to_have_count(1)

    laptop.click("#nav-memory")  # its very next click
    expect(laptop.locator("#login-submit")).to_be_visible()
    laptop_context.close()

    # Name and e-mail: every problem at its field, then saved.
    page.fill("#profile-name", "")
    page.fill("#profile-email", "not an address")
    page.click("#save-profile")
    expect(page.locator("#profile-name-error")).to_have_text("Name cannot be empty.")
    expect(page.locator("#profile-email-error")).to_contain_text("does not look like an e-mail address")
    page.fill("#profile-name", "Tom Thumb")
    page.fill("#profile-email", email.upper())
    page.click("#save-profile")
    expect(page.locator("#user-name")).to_have_text("Tom Thumb")

    # Ending this browser's own login logs it out.
    page.locator(".session-row", has_text="this browser").locator(".end-session").click()
    page.locator(".confirm-end-session").click()
    expect(page.locator("#login-submit")).to_be_visible()
