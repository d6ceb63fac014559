"""Steps a user takes, shared by browser tests."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time

from playwright.sync_api import Page, expect

from nyx_app.settings import ROOT_DIR

_n = itertools.count(1)
# Must pass the password rules (zxcvbn score 3); "password-123" is refused as too easy to guess.
PASSWORD = "violet-harbor-kite-91"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{int(time.time() * 1000)}{next(_n)}@example.test"


def register(page: Page, name: str, workspace: str, email: str | None = None) -> str:
    email = email or unique_email()
    page.goto("/register")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#workspace", workspace)
    page.click("#register-submit")
    dashboard_ready(page)
    return email


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")
    dashboard_ready(page)


def dashboard_ready(page: Page) -> None:
    """The dashboard has loaded its state (not only its prerendered form): typing before that
    could land in inputs that the page is about to replace."""
    expect(page.locator("#create-project")).to_be_visible()
    expect(page.locator("#no-projects, .project-card").first).to_be_visible()


def goto_signed_in(page: Page, path: str) -> None:
    """Open a signed-in page and wait for its on_load (the navigation shows the user's name only
    once the session was resolved), so the test types into the live page."""
    page.goto(path)
    expect(page.locator("#user-name")).to_have_text(re.compile(r"\w"))


def logout(page: Page) -> None:
    page.click("#logout")
    expect(page.locator("#login-submit")).to_be_visible()


def create_project(page: Page, name: str, description: str = "") -> None:
    page.fill("#new-project-name", name)
    if description:
        page.fill("#new-project-description", description)
    page.click("#create-project")
    expect(page.locator(".project-card", has_text=name)).to_be_visible()


def open_project(page: Page, name: str) -> None:
    page.locator(".project-link", has_text=name).click()
    expect(page.locator("#project-title")).to_have_text(name)


def create_note(page: Page, title: str, content: str = "") -> None:
    """From a project's Notes tab: a new note opens on its own page, in the editor; write and save."""
    page.fill("#new-note-title", title)
    page.click("#add-note")
    expect(page.locator("#note-title")).to_have_text(title)
    if content:
        page.fill("#edit-note-content", content)
        page.click("#save-note")
        expect(page.locator("#edit-note-content")).to_have_count(0)


def seed_notes(app_env: dict[str, str], count: int) -> tuple[str, str]:
    """An account (e-mail, password PASSWORD) with a project of ``count`` notes, made through the
    services in the app's database (tests/e2e/seed.py); the e-mail and the project's name."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.seed", str(count)],
        env=app_env,
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    made = json.loads(done.stdout.strip().splitlines()[-1])
    return made["email"], made["project"]
