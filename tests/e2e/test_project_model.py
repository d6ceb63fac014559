"""Project settings: the ProviderModelPicker chooses the model a project uses first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_project, open_project, register

pytestmark = pytest.mark.e2e


def test_project_model_defaults_and_is_chosen_with_the_picker(page: Page) -> None:
    register(page, "Quinn", "Quinn's team")
    create_project(page, "Modelled")
    open_project(page, "Modelled")
    page.click("#tab-settings")
    # No provider yet: no model is shown as if it could be called.
    expect(page.locator("#no-provider")).to_contain_text("cannot call a model")
    expect(page.locator("#project-model")).to_have_count(0)
    expect(page.get_by_role("link", name="Add a key or a local endpoint in Providers")).to_be_visible()

    page.goto("/settings/providers")
    for provider, key in (("Anthropic", "sk-ant-test-0001"), ("OpenAI", "sk-openai-test-0002")):
        page.click("#key-provider")
        page.get_by_role("option", name=provider, exact=True).click()
        page.fill("#api-key", key)
        page.click("#save-key")
        expect(page.locator(".provider-row", has_text=provider).first).to_be_visible()

    page.goto("/")
    open_project(page, "Modelled")
    page.click("#tab-settings")
    expect(page.locator("#project-model")).to_have_text("anthropic/claude-sonnet-4-6")  # the default for new projects
    page.click("#project-model-picker-provider")
    page.get_by_role("option", name="OpenAI", exact=True).click()
    expect(page.locator("#project-model")).to_have_text("openai/gpt-4.1-mini")  # the default for OpenAI
    page.click("#project-model-picker-model")
    page.locator(".model-option", has_text="GPT-5 Mini").click()
    expect(page.locator("#project-model")).to_have_text("openai/gpt-5-mini")
    page.screenshot(path="test-artifacts/project-model.png", full_page=True)

    page.reload()
    page.click("#tab-settings")
    expect(page.locator("#project-model")).to_have_text("openai/gpt-5-mini")
