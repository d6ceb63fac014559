"""The run page in Chromium against the fake LLM: the flagship run watched live from two tabs and
through a reload, review (approve with edits, reject with a reason), cancel, resume and retry.

The app under test is another process; it reaches the fake provider on loopback because the
Anthropic key added on the Providers page carries the fake server's base URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from nyx_app.services.image_descriptions import PROMPT as DESCRIBE_PROMPT
from tests.e2e.helpers import create_note, create_project, open_project, register
from tests.fakes.flagship import flagship
from tests.fakes.images import image_bytes
from tests.fakes.llm_server import FakeLLM, answer, empty, image_parts, respond

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-6"  # the project's default model, answered by the fake
RUN_TIMEOUT = 90_000  # the first call of the app imports LiteLLM (~5 s on a small machine)

# Records, in the page, every status each step card shows: proof that the page changed by itself.
RECORD_STATUSES = """() => {
  window.__seen = new Set();
  const record = () => document.querySelectorAll('.step-card').forEach((card) => {
    const status = card.querySelector('.step-status');
    if (status) window.__seen.add(card.id + ':' + status.textContent);
  });
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
  record();
}"""

FITS = "(sel) => [...document.querySelectorAll(sel)].every(e => e.getBoundingClientRect().right <= window.innerWidth)"


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
    page.fill("#api-key", "sk-ant-api03-run-page-test-0042")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0042")
    page.goto("/")
    create_project(page, project)
    open_project(page, project)


def start_from_template(page: Page, template: str) -> str:
    page.click("#tab-workflows")
    page.click(f"#create-{template or 'blank'}")
    expect(page.locator("#estimate-calls")).to_contain_text("LLM calls")
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-title")).to_be_visible()
    return page.url


def fits_phone(page: Page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} is {width} px wide on a 390 px screen"


def status(page: Page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#step-{key} .step-status")


def test_flagship_live_in_two_tabs_through_a_reload(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Nova", "Onboarding")
    project_url = page.url
    create_note(page, "Note 1", "The login page needs work (1).")  # N1, with the screenshots
    page.locator(".image-drop-zone input[type=file]").set_input_files(
        [{"name": f"shot{i}.png", "mimeType": "image/png", "buffer": image_bytes(size=(64 + i, 48))} for i in range(3)]
    )
    expect(page.locator(".image-card")).to_have_count(3)
    page.goto(project_url)
    create_note(page, "Note 2", "The login page needs work (2).")
    page.goto(project_url)

    # Answers stream word by word, so the action points take a few seconds: time to look around.
    fake.script(MODEL, then=respond(flagship(13, plan_words=80), latency=0.3, chunk_delay=0.03))
    run_url = start_from_template(page, "image-to-implementation")

    expect(status(page, "enrich")).to_have_text("done", timeout=RUN_TIMEOUT)
    # A second tab, opened mid-run, follows the run by itself.
    second = page.context.new_page()
    second.goto(run_url)
    expect(second.locator("#run-title")).to_have_text("Image to implementation")
    second.evaluate(RECORD_STATUSES)
    page.screenshot(path="test-artifacts/run-live.png", full_page=True)
    page.reload()
    expect(page.locator("#run-title")).to_have_text("Image to implementation")

    for tab in (page, second):
        expect(tab.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    seen = set(second.evaluate("[...window.__seen]"))
    assert {"step-plan:done", "step-final:done"} <= seen
    assert seen & {"step-plan:queued", "step-plan:running"}, seen  # it was watched changing, not reloaded
    second.close()

    expect(page.locator("#coverage-plan")).to_contain_text("13/13 action points have an implementation plan")
    expect(page.locator("#run-progress")).to_have_text("All 5 steps done")
    expect(page.locator("#step-enrich .step-model")).to_have_text("anthropic/claude-sonnet-4-6")
    expect(page.locator("#step-plan .group-progress")).to_have_text("Items 13/13")
    items = page.locator("#step-plan .fanout-item")
    expect(items).to_have_count(13)
    first = items.first
    expect(first.locator(".item-label")).to_have_text("#1 Action 1")
    expect(first.locator(".source-note")).to_have_attribute("href", re.compile(r"/projects/.+/notes/"))
    expect(first.locator(".source-image")).to_have_attribute("href", re.compile(r"/api/images/"))
    first.locator(".show-full").click()
    expect(first.locator(".item-output")).to_contain_text("step79. Tests: test_app.py.")
    expect(page.locator("#run-cost")).not_to_have_text("$0.00")
    # The screenshots went to the (vision) model once, with the enrichment step.
    assert [image_parts(r) for r in fake.requests].count(3) == 1
    # The run's 17 calls; the screenshots were also described, one call each, in the background.
    described = [p for p in fake.prompts(MODEL) if p == DESCRIBE_PROMPT]
    assert fake.calls(MODEL) - len(described) == 17
    page.screenshot(path="test-artifacts/run-finished.png", full_page=True)
    crumbs = page.locator("#breadcrumbs")
    expect(crumbs).to_contain_text("Onboarding")
    expect(crumbs.locator("[aria-current=page]")).to_have_text("Image to implementation")
    expect(page.locator("#nav-projects")).to_have_attribute("aria-current", "page")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: rows wrap, nothing runs off the side
    assert page.evaluate(FITS, "#run-steps .step-card, #run-steps .fanout-item, #run-status, #coverage-plan")
    fits_phone(page, "the run page")
    page.screenshot(path="test-artifacts/run-finished-narrow.png", full_page=False)
    page.screenshot(path="test-artifacts/run-finished-phone-full.png", full_page=True)

    # The workflow editor it ran, on a phone and on a desktop.
    page.click("#run-workflow-link")
    expect(page.locator("#workflow-name")).to_have_value("Image to implementation")
    expect(page.locator("#breadcrumbs")).to_contain_text("Workflows")
    fits_phone(page, "the workflow editor")
    page.screenshot(path="test-artifacts/workflow-editor-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="test-artifacts/workflow-editor.png", full_page=True)
    page.go_back()
    expect(page.locator("#run-title")).to_have_text("Image to implementation")

    crumbs.get_by_role("link", name="Runs").click()  # the project's Runs tab
    history = page.locator(".history-row")
    expect(history).to_have_count(1)
    expect(history.locator(".history-status")).to_have_text("succeeded")
    expect(history.locator(".history-kind")).to_have_text("workflow run")
    expect(history.locator(".history-result")).to_have_count(0)  # its result is the run page itself
    history.locator(".history-link").click()
    expect(page.locator("#coverage-plan")).to_contain_text("13/13")  # an old run shows everything it did

    # A made-up run id, and a malformed one: the shared "not found".
    for bad in ("00000000-0000-4000-8000-000000000000", "not-a-run"):
        page.goto(re.sub(r"/runs/[^/?#]+", f"/runs/{bad}", run_url))
        expect(page.locator("#not-found")).to_have_text("Run not found")


def test_review_approved_with_edits_and_rejected_with_a_reason(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Rhea", "Reviewed")
    fake.script(MODEL, then=respond(flagship(), latency=0.1))
    start_from_template(page, "analyse-review-prompt")

    expect(page.locator("#run-status")).to_have_text("waiting for review", timeout=RUN_TIMEOUT)
    expect(status(page, "review")).to_have_text("waiting for review")
    expect(page.locator("#review-text")).to_have_value("Analysis: the project needs a login page.")
    page.screenshot(path="test-artifacts/run-review.png", full_page=True)
    page.fill("#review-text", "Analysis (edited by the reviewer): build the login page first.")
    page.fill("#review-note", "Looks right after the edit")
    page.click("#approve")
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#step-review .review-note")).to_contain_text("Looks right after the edit")
    expect(page.locator("#step-generate .step-output")).to_contain_text("Implementation prompt based on")
    assert "edited by the reviewer" in fake.prompts(MODEL)[-1]  # the next step worked from the edited text

    page.click("#run-workflow-link")
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))
    expect(page.locator("#run-status")).to_have_text("waiting for review", timeout=RUN_TIMEOUT)
    page.click("#reject")
    expect(page.locator("#review-error")).to_contain_text("reason")
    page.fill("#reject-reason", "Too vague to act on")
    page.click("#reject")
    expect(page.locator("#run-status")).to_have_text("failed")
    expect(page.locator("#run-error")).to_contain_text("The review was rejected: Too vague to act on")
    expect(status(page, "generate")).to_have_text("skipped")
    expect(page.locator("#review-form")).to_have_count(0)


def test_cancel_a_slow_run_then_resume_and_retry_a_failed_step(page: Page, fake: FakeLLM) -> None:
    workspace(page, fake, "Cato", "Slow")
    fake.script(MODEL, then=answer("A slow answer.", latency=30))
    run_url = start_from_template(page, "")  # blank: one step, "draft"
    expect(status(page, "draft")).to_have_text("running", timeout=RUN_TIMEOUT)

    # Starting it again is not offered: the row says why, with a way to the run that is going on.
    page.goto(run_url.split("/runs/")[0] + "?tab=workflows")
    expect(page.locator(".workflow-row .start-workflow")).to_be_disabled()
    expect(page.locator(".workflow-row .start-blockers")).to_contain_text("already running")
    page.locator(".workflow-row .fix-link", has_text="Open the active run").click()
    expect(page).to_have_url(run_url)

    page.click("#cancel-run")
    page.click("#confirm-cancel-run")
    expect(page.locator("#run-status")).to_have_text("cancelled")
    expect(status(page, "draft")).to_have_text("cancelled")

    fake.script(MODEL, then=empty())  # the provider answers, but with nothing
    page.click("#resume-run")
    expect(page.locator("#run-status")).to_have_text("failed", timeout=RUN_TIMEOUT)
    expect(page.locator("#step-draft .attempt").first).to_contain_text("anthropic/claude-sonnet-4-6: empty answer")
    expect(page.locator("#run-error")).to_be_visible()

    fake.script(MODEL, then=answer("A short summary of the notes."))
    page.locator("#step-draft .retry-step").click()
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#step-draft .step-output")).to_have_text("A short summary of the notes.")
    expect(page.locator("#step-draft .attempt")).to_have_count(0)


def test_a_watching_tab_stops_when_its_login_ends_elsewhere(page: Page, fake: FakeLLM) -> None:
    """Watchers remember who is watching between reads; a logout in another tab (any process)
    must still end the updates, with the reason on the page, by the next change of the run."""
    workspace(page, fake, "Lior", "Watched")
    fake.script(MODEL, then=answer("Done after a while.", latency=4))
    start_from_template(page, "")
    expect(status(page, "draft")).to_have_text("running", timeout=RUN_TIMEOUT)
    page.evaluate(RECORD_STATUSES)

    other = page.context.new_page()
    other.goto("/")
    other.click("#logout")
    expect(other).to_have_url(re.compile(r"/login"))

    # The step finishes; the watching tab re-checks the login instead of showing the answer.
    expect(page.get_by_text("Your session has ended. Please log in again.")).to_be_visible(timeout=RUN_TIMEOUT)
    expect(page.locator("#step-draft")).to_have_count(0)
    assert "step-draft:done" not in page.evaluate("() => [...window.__seen]")  # never shown, not even briefly
