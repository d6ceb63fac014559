"""Diagrams and coloured code wherever Markdown is shown, in Chromium against the running app: a
note draws its Mermaid diagram (view and live preview), a broken one shows its code and why; a run
page draws the diagram in a model's streamed answer once, however often the page updates; a
member's hostile diagrams are inert for the owner even with the page's Content-Security-Policy
switched off (only the app's own walls are left)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.helpers import create_note, create_project, login, open_project, register, unique_email
from tests.fakes.hostile_diagrams import SVG_ELEMENTS, diagrams
from tests.fakes.llm_server import FakeLLM, respond
from tests.fakes.trap import Trap, _listen

pytestmark = pytest.mark.e2e

MODEL = "claude-sonnet-4-6"
RUN_TIMEOUT = 90_000  # the app's first LLM call imports LiteLLM
DRAWN = 30_000  # the first diagram of a page loads Mermaid (5.5 MB) from the app

DIAGRAM = '```mermaid\ngraph TD\n  A[Plan > draft] --> B["<b>Build</b> it"]\n  B --> C{Ship?}\n```'
BROKEN = "```mermaid\ngraph TD\n  A[Start] --> B[\n```"
CODE = "```python\ndef ready(x):\n    return x > 0\n```"

# What the drawn diagrams of a page hold, read in one go; the allowlist comes from the test.
INSPECT = """(allowed) => {
  const figures = [...document.querySelectorAll('figure.nyx-diagram')];
  const inside = figures.flatMap((f) => [...f.querySelectorAll('*')]);
  return {
    figures: figures.length,
    failed: document.querySelectorAll('pre[data-nyx-diagram="failed"]').length,
    drawing: document.querySelectorAll('pre[data-nyx-diagram="drawing"]').length,
    blocks: document.querySelectorAll('pre > code.language-mermaid').length,
    outside: inside.map((e) => e.localName.toLowerCase()).filter((n) => !allowed.includes(n)
      && !(n === 'figcaption')),
    handlers: inside.flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on'))
      .map((a) => `${e.localName} ${a.name}`)),
    hrefs: inside.flatMap((e) => [...e.attributes].filter((a) => /href$/.test(a.name) && !a.value.startsWith('#'))
      .map((a) => a.value)),
    pageImages: [...document.images].map((i) => i.src).filter((s) => !s.startsWith(location.origin)),
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    stats: { ...(globalThis.nyxDiagramStats || {}) },
  };
}"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def trap() -> Iterator[Trap]:
    yield from _listen()


def inspect(page: Page) -> dict[str, Any]:
    seen: dict[str, Any] = page.evaluate(INSPECT, sorted(SVG_ELEMENTS))
    return seen


def settled(page: Page) -> dict[str, Any]:
    """Every diagram block of the page drawn or explained."""
    expect(page.locator("pre[data-nyx-diagram='drawing']")).to_have_count(0, timeout=DRAWN)
    page.wait_for_function(
        """() => [...document.querySelectorAll('pre > code.language-mermaid')]
          .every((c) => c.parentElement.dataset.nyxDiagram === 'failed')""",
        timeout=DRAWN,
    )
    return inspect(page)


def test_a_note_draws_its_diagram_in_view_preview_and_public_page_and_colours_its_code(
    page: Page, browser: Browser, app_url: str
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    register(page, "Dana", "Dana's team")
    create_project(page, "Drawn")
    open_project(page, "Drawn")
    create_note(page, "Architecture", f"Intro.\n\n{DIAGRAM}\n\nBetween.\n\n{BROKEN}\n\n{CODE}\n")

    view = page.locator(".note-content")
    svg = view.locator("figure.nyx-diagram svg")
    expect(svg).to_be_visible(timeout=DRAWN)
    expect(svg).to_contain_text("Plan > draft")
    expect(svg).to_contain_text("<b>Build</b> it")  # words as written, not bold
    expect(view.locator("figure.nyx-diagram svg b")).to_have_count(0)
    error = view.locator(".nyx-diagram-error")
    expect(error).to_have_text(
        "This diagram could not be drawn: Mermaid could not read the end of it (is something left open?)."
        " Its code is shown instead."
    )
    expect(view.locator("pre[data-nyx-diagram='failed'] code")).to_contain_text("A[Start] --> B[")
    keyword = view.locator("code.language-python .tok-k").first
    expect(keyword).to_have_text("def")
    plain = view.locator("code.language-python").evaluate("e => getComputedStyle(e).color")
    assert keyword.evaluate("e => getComputedStyle(e).color") != plain  # coloured by the app's stylesheet
    assert keyword.get_attribute("style") is None
    expect(view).to_contain_text("Between.")
    page.screenshot(path="test-artifacts/diagram-note.png", full_page=True)

    # The live preview draws as the text is typed; an unfinished block stays code until closed.
    page.click("#edit-note")
    preview = page.locator("#note-preview")
    expect(preview.locator("figure.nyx-diagram svg")).to_contain_text("Plan > draft", timeout=DRAWN)
    editor = page.locator("#edit-note-content")
    editor.press("Control+End")
    editor.press_sequentially("\n```mermaid\nsequenceDiagram\n  Alice->>Bob: a > b\n")
    unfinished = preview.locator("pre:not([data-nyx-diagram]) code", has_text="Alice->>Bob: a > b")
    expect(unfinished).to_be_visible()
    editor.press_sequentially("```\n")
    expect(preview.locator("figure.nyx-diagram svg", has_text="Alice")).to_contain_text("a > b", timeout=DRAWN)
    page.click("#save-note")
    expect(view.locator("figure.nyx-diagram")).to_have_count(2, timeout=DRAWN)
    seen = inspect(page)
    assert seen["outside"] == [] and seen["handlers"] == [] and seen["hrefs"] == []
    assert not [p for p in problems if "Content Security Policy" in p], problems

    # The same note on the project's public page, for a visitor without a login.
    page.click("#note-public")
    expect(page.get_by_text("The note is public")).to_be_visible()
    page.click("#back-to-project")
    page.click("#toggle-published")
    page.locator(".confirm-publish").click()
    public_path = page.locator("#public-link").get_attribute("href")
    assert public_path
    visitor = browser.new_context(base_url=app_url)
    try:
        reader = visitor.new_page()
        reader.goto(public_path)
        public_svg = reader.locator(".public-note-body figure.nyx-diagram svg").first
        expect(public_svg).to_contain_text("Plan > draft", timeout=DRAWN)
        expect(reader.locator(".public-note-body .nyx-diagram-error")).to_have_count(1)
    finally:
        visitor.close()


def _run_with_answer(page: Page, fake: FakeLLM, text: str) -> None:
    fake.reset()
    fake.script(MODEL, then=respond(lambda _prompt: text, chunk_delay=0.02))
    register(page, "Rui", "Rui's team")
    page.goto("/settings/providers")
    page.fill("#api-key", "sk-ant-api03-diagrams-test-0042")
    page.fill("#key-base-url", fake.anthropic_base)
    page.click("#save-key")
    expect(page.locator(".provider-row[data-provider='anthropic'] .key-hint")).to_have_text("…0042")
    page.goto("/")
    create_project(page, "Charted")
    open_project(page, "Charted")
    page.click("#tab-workflows")
    page.click("#create-blank")
    expect(page.locator("#estimate-calls")).to_contain_text("LLM calls")
    page.click("#start-run")
    page.wait_for_url(re.compile(r"/runs/"))


def test_a_run_page_draws_the_models_diagram_once_while_the_answer_streams(
    page: Page, fake: FakeLLM, trap: Trap
) -> None:
    hostile = diagrams(trap.url)
    tail = " ".join(f"word{i}" for i in range(200))  # streamed after the diagram: many updates
    answer = (
        f"The plan:\n\n{DIAGRAM}\n\nAnd what a model might add:\n\n```mermaid\n{hostile['html label image']}\n```"
        f"\n\n```mermaid\n{hostile['click href']}\n```\n\n{tail}"
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _run_with_answer(page, fake, answer)
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    output = page.locator(".step-output")
    expect(output.locator("figure.nyx-diagram")).to_have_count(3, timeout=DRAWN)
    expect(output.locator("figure.nyx-diagram svg").first).to_contain_text("Plan > draft")
    expect(output).to_contain_text("word199")
    seen = settled(page)
    # Each diagram laid out by Mermaid once, however many updates the page had after it.
    assert seen["stats"]["drawn"] == 3, seen["stats"]
    assert seen["outside"] == [] and seen["handlers"] == [] and seen["hrefs"] == []
    expect(output.locator(".nyx-diagram-note")).to_contain_text(["Left out of this drawing: click actions and links."])
    url = page.url
    for node in output.locator("figure.nyx-diagram g.node").all():
        node.click()
    assert page.url == url and dialogs == [] and seen["pwned"] is None
    assert trap.connections == []
    page.screenshot(path="test-artifacts/diagram-run.png", full_page=True)


def test_a_members_hostile_diagrams_are_inert_for_the_owner_without_the_csp(
    browser: Browser, app_url: str, trap: Trap
) -> None:
    # The owner's browser ignores the app's Content-Security-Policy: only the app's own walls stand.
    owner = browser.new_context(base_url=app_url, bypass_csp=True, viewport={"width": 1280, "height": 900})
    owner.set_default_timeout(20_000)
    try:
        ona = owner.new_page()
        register(ona, "Ona Owner", "Ona's team")
        create_project(ona, "Hostile")
        email, password = unique_email("mia"), "mia-initial-1"
        ona.goto("/settings/members")
        ona.fill("#member-email", email)
        ona.fill("#member-name", "Mia Member")
        ona.fill("#member-password", password)
        ona.click("#add-member")
        expect(ona.locator(".member-row", has_text=email)).to_contain_text("member")

        corpus = diagrams(trap.url)
        content = "\n\n".join(f"### {name}\n\n```mermaid\n{source}\n```" for name, source in corpus.items())
        member = browser.new_context(base_url=app_url)
        member.set_default_timeout(20_000)
        mia = member.new_page()
        login(mia, email, password)
        open_project(mia, "Hostile")
        create_note(mia, "Diagrams", content)
        member.close()

        dialogs: list[str] = []
        popups: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        ona.on("dialog", on_dialog)
        owner.on("page", lambda p: popups.append(p.url))
        ona.goto("/")
        open_project(ona, "Hostile")
        ona.locator(".note-card", has_text="Diagrams").locator(".note-title").click()
        expect(ona.locator("#note-title")).to_have_text("Diagrams")
        seen = settled(ona)
        note_url = ona.url
        # Drawn without what made them hostile, but for three Mermaid cannot read (shown as code).
        assert (seen["figures"], seen["failed"]) == (len(corpus) - 3, 3), seen
        assert seen["outside"] == [], seen["outside"]
        assert seen["handlers"] == [] and seen["hrefs"] == [] and seen["pageImages"] == []
        # Click every node and label a diagram drew; nothing navigates, opens or runs.
        for node in ona.locator("figure.nyx-diagram :is(g.node, g.actor, text)").all()[:120]:
            if node.is_visible():
                node.click(force=True, timeout=2_000)
        ona.wait_for_load_state("networkidle")
        seen = inspect(ona)
        assert ona.url == note_url and popups == [] and dialogs == []
        assert seen["pwned"] is None
        assert trap.connections == [], trap.connections
        ona.screenshot(path="test-artifacts/diagram-hostile.png", full_page=True)
    finally:
        owner.close()
