"""Account basics in Chromium: forgot password through the loopback SMTP server (single use,
expired links refused, the same answer for unknown addresses), a deep link that survives logging
in (and never leads off-site), sign out all other sessions, and the e-mail validator's reason."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from nyx_app.db.urls import owner_url
from nyx_app.settings import Settings
from tests.e2e.conftest import E2E_DATABASE
from tests.e2e.helpers import PASSWORD, create_project, dashboard_ready, login, logout, register, unique_email
from tests.fakes.smtp import Inbox

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "copper-meadow-whistle-58"
SENT = re.compile(r"^If an account uses that address, an e-mail with a link to choose a new password is on its way")


def ask_for_link(page: Page, email: str) -> None:
    page.goto("/login")
    page.click("#forgot-link")
    expect(page.locator("#forgot-submit")).to_be_visible()
    page.fill("#email", email)
    page.click("#forgot-submit")
    expect(page.locator("#reset-sent")).to_have_text(SENT)


def mailed_link(inbox: Inbox, email: str, before: int) -> str:
    """The link in the first message to ``email`` after the first ``before`` messages."""
    count = before
    while True:
        count += 1
        message = inbox.wait(count)
        if message["To"] == email:
            found = re.search(r"http://\S+/reset-password/\S+", inbox.text(message))
            assert found is not None
            return found.group(0)


def test_forgot_password_mails_a_single_use_link(page: Page, browser: Browser, app_url: str, inbox: Inbox) -> None:
    email = register(page, "Quinn", "Quinn's place")
    laptop = browser.new_context(base_url=app_url)  # an older login elsewhere
    elsewhere = laptop.new_page()
    login(elsewhere, email)
    logout(page)

    before = len(inbox.messages)
    ask_for_link(page, email)
    link = mailed_link(inbox, email, before)
    assert link.startswith(app_url + "/reset-password/")
    # An address without an account reads exactly the same, and gets no mail.
    ask_for_link(page, unique_email("nobody"))

    page.goto(link)
    expect(page.get_by_text("Choose a new password for")).to_contain_text(email)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#repeat", "not-the-same-password")
    page.click("#reset-submit")
    expect(page.locator("#repeat-error")).to_have_text("The two passwords differ.")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#repeat", NEW_PASSWORD)
    page.click("#reset-submit")
    expect(page.locator("#password-reset-done")).to_be_visible()  # signed in, on the account page
    expect(page.locator(".session-row")).to_have_count(1)  # every other login ended

    elsewhere.click("#user-name")
    expect(elsewhere.locator("#login-submit")).to_be_visible()
    laptop.close()

    # Used once: the link now says so and offers a new one.
    page.goto(link)
    expect(page.locator("#link-problem")).to_have_text(
        "This password reset link has already been used. Ask for a new one if you still need it."
    )
    expect(page.locator("#reset-submit")).to_have_count(0)
    page.goto("/")
    dashboard_ready(page)
    logout(page)
    login(page, email, NEW_PASSWORD)
    assert len([m for m in inbox.messages[before:] if m["To"] != email]) == 0


def test_an_expired_link_is_refused(page: Page, inbox: Inbox) -> None:
    email = register(page, "Rhea", "Rhea's place")
    logout(page)
    before = len(inbox.messages)
    ask_for_link(page, email)
    link = mailed_link(inbox, email, before)
    engine = create_engine(owner_url(Settings(database_name=E2E_DATABASE)))
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE password_reset SET expires_at = now() - interval '1 minute' "
                "WHERE user_id = (SELECT id FROM app_user WHERE email = :e)"
            ),
            {"e": email},
        )
    engine.dispose()
    page.goto(link)
    expect(page.locator("#link-problem")).to_have_text("This password reset link has expired. Ask for a new one.")
    page.click("#ask-again")
    expect(page.locator("#forgot-submit")).to_be_visible()


def test_a_deep_link_opened_logged_out_returns_there_after_login(page: Page) -> None:
    email = register(page, "Sol", "Sol's place")
    create_project(page, "Deep linked")
    page.locator(".project-link", has_text="Deep linked").click()
    expect(page.locator("#project-title")).to_have_text("Deep linked")
    wanted = page.url.split("://", 1)[1].split("/", 1)[1]
    wanted = "/" + wanted.split("?", 1)[0] + "?tab=settings"
    logout(page)

    page.goto(wanted)
    expect(page.locator("#login-submit")).to_be_visible()
    assert "/login?next=" in page.url
    page.fill("#email", email)
    page.fill("#password", "a-wrong-password-first")
    page.click("#login-submit")  # a wrong password keeps the way back
    expect(page.locator("#form-error")).to_have_text("E-mail or password is wrong.")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#project-title")).to_have_text("Deep linked")
    assert page.url.endswith(wanted)


@pytest.mark.parametrize(
    "hostile",
    ["//evil.example", "/\\evil.example", "https://evil.example/", "/%2F%2Fevil.example", "%2F%2Fevil.example"],
)
def test_a_login_link_never_leads_off_site(page: Page, app_url: str, hostile: str) -> None:
    email = register(page, "Tom", "Tom's place")
    logout(page)
    page.goto(f"/login?next={quote(hostile, safe='')}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    dashboard_ready(page)
    assert page.url.startswith(app_url + "/"), page.url


def test_sign_out_all_other_sessions(page: Page, browser: Browser, app_url: str) -> None:
    email = register(page, "Una", "Una's place")
    others = [browser.new_context(base_url=app_url) for _ in range(2)]
    pages = [context.new_page() for context in others]
    for other in pages:
        login(other, email)
    page.click("#user-name")
    expect(page.locator(".session-row")).to_have_count(3)
    page.locator(".end-other-sessions").click()
    page.locator(".confirm-end-other-sessions").click()
    expect(page.get_by_text("2 other logins ended")).to_be_visible()
    expect(page.locator(".session-row")).to_have_count(1)
    expect(page.locator(".end-other-sessions")).to_have_count(0)
    for other in pages:
        other.click("#user-name")  # their next click
        expect(other.locator("#login-submit")).to_be_visible()
    page.get_by_role("link", name="Projects").click()
    expect(page.locator("#create-project")).to_be_visible()  # this browser stays signed in
    for context in others:
        context.close()


def test_a_refused_address_shows_the_validators_reason(page: Page) -> None:
    page.goto("/register")
    page.fill("#name", "Vera")
    page.fill("#email", "vera@example.invalid")
    page.fill("#password", PASSWORD)
    page.fill("#workspace", "Vera's place")
    page.click("#register-submit")
    expect(page.locator("#email-error")).to_contain_text("That does not look like an e-mail address. ")
    expect(page.locator("#email-error")).to_contain_text("special-use or reserved name")
    expect(page.locator("#email")).to_have_value("vera@example.invalid")
