"""Knowledge in Chromium against the fake LLM: enrich a note from what the workspace knows (an
approved insight, a memory entry, a consolidation pattern) and accept the diff; upload a policy
(a bad PDF refused in words first) and see it cited in a run's output; the Insights page; a memory
search hit's link opening its entry; the header on one row at 1280 px.

Retrieval by meaning needs the items embedded by the app's in-process worker (the local model
loads once: seconds on a busy machine), so the tests wait for Settings → Search to say so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_note, create_project, goto_signed_in, open_project, register
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, respond
from tests.fakes.pdfs import scanned_pdf, text_pdf
from tests.services.test_policies import ACCESS_POLICY

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-6"
RUN_TIMEOUT = 90_000
EMBEDDED_WITHIN_S = 180
ENRICHED_TAIL = "Lock per device after five failures, for fifteen minutes [I1] [M1] [K1]."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


def workspace(page: Page, fake: FakeLLM, name: str, project: str) -> None:
    """A new user whose Anthropic key points at the fake, with a project open."""
    fake.reset()
    register(page, name, f"{name}'s team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-knowledge-test-0042")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0042")
    page.goto("/")
    create_project(page, project)
    open_project(page, project)


def wait_embedded(page: Page) -> None:
    """Until Settings → Search says every item is embedded (the background job's work)."""
    deadline = time.monotonic() + EMBEDDED_WITHIN_S
    while True:
        goto_signed_in(page, "/settings/search")
        status = page.locator("#embedding-status")
        expect(status).to_contain_text("items embedded")
        done = re.match(r"([\d,]+) of ([\d,]+) items embedded", status.inner_text())
        if done and done.group(1) == done.group(2):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not embedded in time: {status.inner_text()}")
        time.sleep(2)


def approve_an_insight(page: Page, fake: FakeLLM, text: str) -> None:
    fake.script(MODEL, then=respond(flagship(), latency=0.05))
    page.click("#tab-workflows")
    page.click("#create-analyse-review-prompt")
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-status")).to_have_text("waiting for review", timeout=RUN_TIMEOUT)
    page.fill("#review-text", text)
    page.click("#approve")
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)


def test_enrich_a_note_from_what_the_workspace_knows_and_accept_it(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Ines", "Accounts")
    project_url = page.url
    approve_an_insight(page, fake, "Lock logins per device, never the whole account, after failed passwords.")
    page.goto(project_url)
    page.click("#project-insights")
    expect(page.locator(".insight")).to_have_count(1)
    page.fill("#pattern-title", "Lockouts per account")
    page.fill("#pattern-text", "Locking a whole account after failed logins lets strangers lock owners out.")
    page.click("#add-pattern")
    expect(page.locator(".pattern")).to_have_count(1)
    goto_signed_in(page, "/memory")
    page.fill("#new-memory-title", "Failed login policy")
    page.fill("#new-memory-content", "Repeated failed logins lock the login for 15 minutes.")
    page.click("#add-memory")
    expect(page.locator(".memory-card", has_text="Failed login policy").first).to_be_visible()

    page.goto(project_url)
    page.click("#tab-notes")
    create_note(page, "Login lockout", "Lock the login after repeated failed passwords.")
    note_url = page.url
    wait_embedded(page)

    fake.reset()
    fake.script(
        MODEL, then=respond(lambda prompt: f"Lock the login after repeated failed passwords.\n\n{ENRICHED_TAIL}")
    )
    page.goto(note_url)
    page.click("#enrich-note")
    page.wait_for_url(re.compile(r"/enrichments/"))
    expect(page.locator("#enrichment-status")).to_contain_text("Proposal ready", timeout=RUN_TIMEOUT)
    sources = page.locator("#enrichment-sources")
    for label in ("Memory entry", "Workflow insight", "Code pattern", "Consolidation pattern"):
        expect(sources).to_contain_text(label)
    expect(sources).to_contain_text("Failed login policy")
    expect(sources).to_contain_text("Lockouts per account")
    expect(sources).to_contain_text("none yet: code patterns come from importing")
    expect(sources.locator(".enrichment-source").first).to_contain_text("matched by")
    expect(page.locator("#enrichment-diff .diff-add")).to_contain_text([ENRICHED_TAIL])
    prompt = fake.prompts(MODEL)[-1]
    assert "[I1] Workflow insight: Lock logins per device" in prompt and "[M1] Memory entry:" in prompt
    page.screenshot(path="test-artifacts/enrichment-diff.png", full_page=True)

    page.click("#edit-enrichment")
    editor = page.locator("#enrichment-editor")
    editor.fill(editor.input_value() + "\nChecked by Ines.")
    page.click("#accept-enrichment")
    page.wait_for_url(note_url)
    expect(page.locator(".note-content")).to_contain_text(ENRICHED_TAIL)
    expect(page.locator(".note-content")).to_contain_text("Checked by Ines.")

    page.goto(project_url)
    page.click("#project-insights")
    # Found by meaning ("lockout", "abuse" are not in the insight), and close enough (cosine 0.53)
    # for a scoped list's cutoff of 0.45.
    page.fill("#insight-query", "account lockout abuse")
    page.click("#insight-search")
    expect(page.locator("#insight-count")).to_have_text("1 of 1 insights match “account lockout abuse”")
    expect(page.locator(".insight")).to_have_count(1)
    expect(page.locator(".insight-run")).to_be_visible()
    page.screenshot(path="test-artifacts/insights-page.png", full_page=True)


def test_upload_a_policy_and_see_it_cited_in_a_runs_output(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Pia", "Compliance")
    project_url = page.url
    create_note(page, "Account lockout", "How long is an account locked after failed password attempts?")

    goto_signed_in(page, "/settings/policies")
    upload = page.locator("#policy-upload input[type=file]")
    upload.set_input_files([{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": scanned_pdf()}])
    expect(page.locator("#policy-upload-error")).to_contain_text("scan.pdf: This PDF has no text to read")
    expect(page.locator(".policy-document")).to_have_count(0)
    page.fill("#policy-title", "Access Control Policy")
    upload.set_input_files(
        [{"name": "access-control.pdf", "mimeType": "application/pdf", "buffer": text_pdf(ACCESS_POLICY)}]
    )
    document = page.locator(".policy-document")
    expect(document).to_contain_text("Access Control Policy")
    expect(document).to_contain_text("5 passages")
    expect(page.locator("#policy-upload-error")).to_have_count(0)
    document.locator(".policy-toggle").click()
    expect(document.locator(".policy-passage").nth(3)).to_contain_text("2 Passwords > 2.2 Lockout")
    wait_embedded(page)

    page.goto(project_url)
    page.click("#tab-workflows")
    page.click("#create-blank")
    prompt = page.locator(".step-card").first.locator("textarea.step-prompt, .step-prompt textarea").first
    prompt.fill("Check the notes against our policies and cite them.\n\n{{notes}}\n\n{{policies}}")
    page.click("#save-workflow")
    expect(page.get_by_text("Workflow saved")).to_be_visible()
    fake.script(MODEL, then=respond(lambda p: "Per [P1]: " + p.split("[P1] ", 1)[1].split("\n", 1)[0]))
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator(".step-output").first).to_contain_text("Per [P1]: Policy passage: Access Control Policy >")
    retrieved = page.locator("#run-retrieved")
    expect(retrieved).to_contain_text("P1")
    expect(retrieved).to_contain_text("Access Control Policy >")
    retrieved.locator(".retrieved-title").first.click()
    expect(page.locator(".policy-passage").first).to_be_visible()


def test_a_memory_link_opens_its_entry_and_the_header_keeps_one_row_at_1280(page: Page) -> None:
    register(page, "Lior Ben-Avraham Castellanos", "A workspace with quite a long name indeed")
    goto_signed_in(page, "/memory")
    entry_id = ""
    for n in range(7):
        page.fill("#new-memory-title", f"Entry {n}")
        page.fill("#new-memory-content", f"Content of entry {n}.")
        page.click("#add-memory")
        card = page.locator(".memory-card", has_text=f"Entry {n}").first
        expect(card).to_be_visible()
        entry_id = entry_id or (card.get_attribute("id") or "").removeprefix("memory-")
    goto_signed_in(page, f"/memory?entry={entry_id}")
    focused = page.locator(".memory-focused")
    expect(focused).to_contain_text("Entry 0")  # on a page of five, the oldest of seven: brought first
    expect(focused).to_be_in_viewport()

    bar = page.evaluate(
        """() => {
          const box = (sel) => document.querySelector(sel).getBoundingClientRect();
          return {brand: box('.nyx-header-bar a').top, logout: box('#logout').top, search: box('#search-open').top,
                  height: box('.nyx-header').height, slot: !!document.getElementById('notification-slot')};
        }"""
    )
    assert bar["slot"], "the notification slot beside the search button is gone"
    assert abs(bar["logout"] - bar["search"]) < 8 and bar["height"] < 70, f"the header wraps at 1280 px: {bar}"
