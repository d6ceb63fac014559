"""Account page: a member added with an initial password changes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import PASSWORD, login, logout, register

pytestmark = pytest.mark.e2e


def test_user_changes_password_and_logs_in_with_the_new_one(page: Page, browser: Browser, app_url: str) -> None:
    email = register(page, "Rita", "Rita's team")
    laptop = browser.new_context(base_url=app_url)  # the same user, signed in on another machine
    elsewhere = laptop.new_page()
    login(elsewhere, email)
    page.click("#user-name")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    page.fill("#current_password", "wrong-password")
    page.fill("#new_password", "a-better-password")
    page.fill("#repeat_password", "a-better-password")
    page.click("#change-password")
    expect(page.locator("#current_password-error")).to_have_text("The current password is wrong.")

    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "a-better-password")
    page.fill("#repeat_password", "a-typo-password")
    page.click("#change-password")
    expect(page.locator("#repeat_password-error")).to_have_text("The two new passwords differ.")

    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "a-better-password")
    page.fill("#repeat_password", "a-better-password")
    page.click("#change-password")
    expect(page.locator("#form-error, #current_password-error, #repeat_password-error")).to_have_count(0)
    expect(page.get_by_text("Password changed")).to_be_visible()

    # The other login ends on its very next click; this one goes on.
    elsewhere.click("#user-name")
    expect(elsewhere.locator("#login-submit")).to_be_visible()
    laptop.close()
    page.get_by_role("link", name="Projects").click()
    expect(page.locator("#create-project")).to_be_visible()

    logout(page)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#form-error")).to_have_text("E-mail or password is wrong.")
    login(page, email, "a-better-password")
