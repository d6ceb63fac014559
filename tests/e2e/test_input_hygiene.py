"""Input hygiene and roles in the browser: a NUL or a bidi control typed into a form gets a message
in words (never "Contact the website administrator"), the page keeps working, and a member is not
offered what their role may not do."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_project, login, logout, register, unique_email

pytestmark = pytest.mark.e2e

NUL_MESSAGE = "contains a NUL character"


def _no_generic_error(page: Page) -> None:
    expect(page.get_by_text("Contact the website administrator")).to_have_count(0)


def test_memory_hub_refuses_nul_and_bidi_then_saves_without_a_reload(page: Page) -> None:
    register(page, "Nora", "Nora's team")
    page.goto("/memory")
    expect(page.locator("#no-memories")).to_be_visible()

    page.fill("#new-memory-title", "Deploy\x00steps")
    page.fill("#new-memory-content", "Push before deploying")
    page.click("#add-memory")
    expect(page.locator("#new-memory-title-error")).to_contain_text(NUL_MESSAGE)  # said at its field
    _no_generic_error(page)

    page.fill("#new-memory-title", "Deploy steps")
    page.fill("#new-memory-tags", "ops, \u202edeploy")
    page.click("#add-memory")
    expect(page.locator("#new-memory-tags-error")).to_contain_text("A tag contains a hidden text-direction character")
    expect(page.locator("#new-memory-title-error")).to_have_count(0)
    page.screenshot(path="test-artifacts/memory-refused-input.png", full_page=True)

    # A refused search leaves the page as it was: the next save works and is listed.
    page.fill("#memory-query", "deploy\x00")
    page.click("#memory-search")
    expect(page.locator("#memory-query-error")).to_contain_text(NUL_MESSAGE)
    page.fill("#new-memory-title", "Deploy steps")
    page.fill("#new-memory-content", "Push before deploying")
    page.fill("#new-memory-tags", "ops")
    page.click("#add-memory")
    expect(page.get_by_text("Memory saved")).to_be_visible()
    expect(page.locator("#new-memory-title-error, #new-memory-tags-error, #form-error")).to_have_count(0)
    expect(page.locator(".memory-card")).to_have_count(1)
    expect(page.locator(".memory-card")).to_contain_text("Deploy steps")

    page.fill("#memory-query", "deploying")
    page.click("#memory-search")
    expect(page.locator(".memory-card")).to_have_count(1)
    _no_generic_error(page)


def test_project_form_refuses_bidi_and_nul_then_creates_without_a_reload(page: Page) -> None:
    register(page, "Omar", "Omar's team")
    page.fill("#new-project-name", "Invoice\u202egpj.exe")
    page.click("#create-project")
    expect(page.locator("#new-project-name-error")).to_contain_text(
        "Project name contains a hidden text-direction character (U+202E RIGHT-TO-LEFT OVERRIDE)"
    )
    page.fill("#new-project-name", "Invoices")
    page.fill("#new-project-description", "Q3\x00")
    page.click("#create-project")
    expect(page.locator("#new-project-description-error")).to_contain_text(NUL_MESSAGE)
    expect(page.locator(".project-card")).to_have_count(0)
    _no_generic_error(page)

    create_project(page, "Invoices", "Q3")
    expect(page.locator("#new-project-name-error, #new-project-description-error")).to_have_count(0)


def test_a_member_is_not_offered_deleting_or_publishing_projects(page: Page) -> None:
    owner_email = register(page, "Pia", "Pia's team")
    create_project(page, "Roadmap")
    expect(page.locator(".project-card", has_text="Roadmap").locator(".delete-project")).to_be_visible()
    page.goto("/settings/members")
    member_email = unique_email("member")
    page.fill("#member-email", member_email)
    page.fill("#member-name", "Quinn")
    page.fill("#member-password", "password")
    page.click("#add-member")
    expect(page.locator("#member-password-error")).to_contain_text("This password is too easy to guess")
    page.fill("#member-email", member_email)
    page.fill("#member-name", "Quinn")
    page.fill("#member-password", "quiet-meadow-lark-5")
    page.click("#add-member")
    expect(page.locator(".member-row", has_text=member_email)).to_be_visible()
    logout(page)

    login(page, member_email, "quiet-meadow-lark-5")
    card = page.locator(".project-card", has_text="Roadmap")
    expect(card).to_be_visible()
    expect(card.get_by_role("button", name="Rename / describe")).to_be_visible()
    expect(card.locator(".delete-project")).to_have_count(0)
    expect(card.get_by_role("button", name="Publish")).to_have_count(0)
    page.screenshot(path="test-artifacts/dashboard-as-member.png", full_page=True)
    page.goto("/settings/members")
    expect(page.locator(".member-row", has_text=owner_email)).to_be_visible()
    expect(page.locator("#add-member")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
