"""Workflows in Chromium: create from a template, see the estimate, edit with problems shown at
the right step (nothing saved while they stand), export, import, duplicate, delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import create_project, open_project, register

pytestmark = pytest.mark.e2e


def card(page: Page, key: str) -> Locator:
    return page.locator(f".step-card[data-key='{key}']")


def field(container: Locator, name: str) -> Locator:
    """A step card's input or textarea, whichever element carries (or wraps) the class."""
    return container.locator(f"textarea.{name}, .{name} textarea, input.{name}, .{name} input").first


def row(page: Page, name: str) -> Locator:
    return page.locator(".workflow-row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_template_estimate_problems_at_their_step_and_nothing_saved(page: Page) -> None:
    register(page, "Wren", "Wren's team")
    create_project(page, "Pipelines")
    open_project(page, "Pipelines")
    page.click("#tab-workflows")
    expect(page.locator("#no-workflows")).to_contain_text("No workflows yet")  # and what to do next
    expect(page.locator("#no-workflows-blank")).to_be_visible()
    expect(page.locator(".template-card", has_text="Image to implementation")).to_contain_text(
        "one implementation plan per action point"
    )

    page.click("#create-image-to-implementation")
    expect(page.locator("#workflow-name")).to_have_value("Image to implementation")
    expect(page.locator(".step-card")).to_have_count(5)
    # The fan-out over a list not made yet counts as a range (3 to 20 plans).
    expect(page.locator("#estimate-calls")).to_have_text("7\u201324 LLM calls")
    # No provider yet, so no model: the cost is unknown, never "$0.00".
    expect(page.locator("#estimate-cost")).to_have_text("cost unknown")
    expect(page.get_by_text("{{item_index}}").first).to_be_visible()  # the variables are explained

    # A prompt naming a step that does not exist: the problem shows at that step as the user pauses.
    final_prompt = field(card(page, "final"), "step-prompt")
    original = final_prompt.input_value()
    final_prompt.fill(original + "\n\nAlso: {{steps.nope.output}}")
    expect(card(page, "final").locator(".step-problems")).to_contain_text(
        "The prompt refers to steps.nope, but there is no step 'nope'."
    )
    expect(card(page, "enrich").locator(".step-problems")).to_have_count(0)
    # A cycle: enrichment waiting for the final prompt, which (through the others) waits for it.
    card(page, "enrich").locator(".dep-checkbox[data-dep='final']").click()
    expect(card(page, "enrich").locator(".step-problems")).to_contain_text(
        "These steps wait for each other in a circle: enrich → final"
    )
    page.click("#save-workflow")
    expect(page.locator("#save-error")).to_contain_text("The workflow was not saved: 2 problems")
    expect(final_prompt).to_have_value(original + "\n\nAlso: {{steps.nope.output}}")  # the edit is kept
    expect(page.locator("#unsaved")).to_be_visible()
    page.screenshot(path="test-artifacts/workflow-editor-problems.png", full_page=True)

    page.reload()  # nothing was saved
    expect(field(card(page, "final"), "step-prompt")).to_have_value(original)
    expect(card(page, "enrich").locator(".dep-checkbox[data-dep='final']")).to_have_attribute("aria-checked", "false")
    expect(page.locator(".step-problems")).to_have_count(0)

    # A fix saves: rename the workflow and give a step a temperature.
    page.fill("#workflow-name", "Screens to plans")
    field(card(page, "synthesis"), "step-temperature").fill("0.3")
    page.click("#save-workflow")
    expect(page.get_by_text("Workflow saved")).to_be_visible()
    expect(page.locator("#unsaved")).to_have_count(0)
    page.reload()
    expect(page.locator("#workflow-name")).to_have_value("Screens to plans")
    expect(field(card(page, "synthesis"), "step-temperature")).to_have_value("0.3")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the step cards wrap their rows
    assert page.evaluate(
        "[...document.querySelectorAll('.step-card, .step-card input, .step-card textarea, #estimate')]"
        ".every(e => e.getBoundingClientRect().right <= window.innerWidth)"
    )
    page.screenshot(path="test-artifacts/workflow-editor-narrow.png", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Without a provider Start is off, and says why before the click, with the way to the fix.
    expect(page.locator("#start-run")).to_be_disabled()
    expect(page.locator("#start-blockers")).to_contain_text("No LLM provider is set up")
    expect(page.get_by_role("link", name="Add a provider")).to_have_attribute("href", "/settings/providers")
    expect(page.get_by_role("link", name="Add a note")).to_be_visible()  # the flagship reads notes


def test_blank_steps_export_import_duplicate_delete(page: Page, tmp_path: Path) -> None:
    register(page, "Yves", "Yves's team")
    create_project(page, "Blanks")
    open_project(page, "Blanks")
    page.click("#tab-workflows")

    page.click("#create-blank")
    expect(page.locator("#workflow-name")).to_have_value("New workflow")
    expect(page.locator(".step-card")).to_have_count(1)
    page.click("#add-step")
    expect(page.locator(".step-card")).to_have_count(2)
    second = card(page, "step_2")
    expect(second.locator(".step-problems")).to_contain_text("Write a prompt for this step.")
    field(second, "step-prompt").fill("Shorten this: {{steps.draft.output}}")
    expect(second.locator(".step-problems")).to_have_count(0)
    field(second, "step-key").fill("short")
    expect(card(page, "short")).to_have_count(1)
    card(page, "short").locator(".move-up").click()  # before the step it names: allowed, it still waits
    expect(page.locator(".step-card").first).to_have_attribute("data-key", "short")
    page.click("#add-step")
    page.locator(".step-card").nth(2).locator(".remove-step").click()
    expect(page.locator(".step-card")).to_have_count(2)
    page.fill("#workflow-name", "Two steps")
    page.click("#save-workflow")
    expect(page.get_by_text("Workflow saved")).to_be_visible()

    page.locator("#breadcrumbs").get_by_role("link", name="Workflows").click()
    two = row(page, "Two steps")
    expect(two).to_contain_text("2 steps · 0 runs")

    with page.expect_download() as download:
        two.locator(".export-workflow").click()
    assert download.value.suggested_filename == "two-steps.workflow.json"
    exported = (tmp_path / "two.json").as_posix()
    download.value.save_as(exported)
    text = Path(exported).read_text()
    data = json.loads(text)
    assert data["format"] == "nyxcore.workflow/1"
    assert [s["key"] for s in data["definition"]["steps"]] == ["short", "draft"]

    # Refusals in words next to the import control.
    page.fill("#import-json", "this is not JSON")
    page.click("#import-pasted")
    expect(page.locator("#import-error")).to_contain_text("it is not valid JSON")
    broken = json.loads(text)
    broken["definition"]["steps"][0]["prompt"] = "Use {{steps.nope.output}}"
    page.fill("#import-json", json.dumps(broken))
    page.click("#import-pasted")
    expect(page.locator("#import-error")).to_contain_text("was not imported")
    expect(page.locator("#import-error")).to_contain_text("short: The prompt refers to steps.nope")

    # Pasted, then as a file.
    page.fill("#import-json", text)
    page.click("#import-pasted")
    expect(row(page, "Two steps (2)")).to_have_count(1)
    page.locator(".import-drop-zone input[type=file]").set_input_files(
        {"name": "two.workflow.json", "mimeType": "application/json", "buffer": text.encode()}
    )
    expect(row(page, "Two steps (3)")).to_have_count(1)
    expect(page.locator("#import-error")).to_have_count(0)

    two.locator(".duplicate-workflow").click()
    expect(row(page, "Two steps (copy)")).to_have_count(1)
    expect(page.locator(".workflow-row")).to_have_count(4)

    row(page, "Two steps (copy)").locator(".delete-workflow").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Its runs stay in the project's run history")
    page.click(".confirm-delete-workflow")
    expect(row(page, "Two steps (copy)")).to_have_count(0)
    expect(page.locator(".workflow-row")).to_have_count(3)
    # At phone width the tab's content wraps instead of scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(
        "[...document.querySelectorAll('.workflow-row, .template-card, .import-drop-zone, #import-json')]"
        ".every(e => e.getBoundingClientRect().right <= window.innerWidth)"
    )
    page.screenshot(path="test-artifacts/workflows-tab-narrow.png", full_page=True)


def test_a_step_speaks_as_a_persona_chosen_with_the_picker(page: Page) -> None:
    register(page, "Ivo", "Ivo's team")  # a new workspace has the starter personas
    create_project(page, "Persona steps")
    open_project(page, "Persona steps")
    page.click("#tab-workflows")
    page.click("#create-analyse-review-prompt")
    analyse = card(page, "analyse")
    expect(analyse.locator(".step-persona")).to_have_text("None")

    analyse.locator(".choose-persona").click()
    page.fill("#step-persona-picker-search", "security")
    page.locator(".picker-persona", has_text="Security reviewer").click()
    expect(analyse.locator(".step-persona")).to_contain_text("Security reviewer")
    page.click("#save-workflow")
    expect(page.get_by_text("Workflow saved")).to_be_visible()

    page.reload()
    expect(card(page, "analyse").locator(".step-persona")).to_contain_text("Security reviewer")
