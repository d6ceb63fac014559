"""The diagram rules (integrations/diagram_policy.js) in Chromium with Mermaid 12.3, as the viewer
and the PDF renderer run them, but on a bare page with no Content-Security-Policy: what is checked
here holds without the browser's policy behind it. A loopback listener catches any request a
diagram makes while Mermaid lays it out or after it is put into the page.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from nyx_app.integrations.diagram_policy import POLICY_JS
from nyx_app.integrations.pdf.renderer import CHROMIUM_ARGS
from nyx_app.settings import get_settings
from tests.fakes.hostile_diagrams import LABELS_AS_TEXT, PWN, diagrams
from tests.fakes.trap import Trap
from tests.integrations.svg_check import svg_problems, svg_text

# Clean, draw, check and put into the page, as the viewer does; answers what a test needs to see.
DRAW = """async ([id, source]) => {
  const policy = nyxDiagramPolicy;
  const cleaned = policy.cleanSource(source);
  if (cleaned.refused) return { error: cleaned.refused, removed: [] };
  try {
    const { svg } = await mermaid.render(id, cleaned.text);
    const checked = policy.sanitizeSvg(svg, id);
    const figure = document.createElement('figure');
    figure.append(document.importNode(checked, true));
    document.querySelector('main').append(figure);
    return { svg: checked.outerHTML, text: checked.textContent, removed: cleaned.removed, cleaned: cleaned.text };
  } catch (e) {
    return { error: policy.explain(source, e), removed: cleaned.removed, cleaned: cleaned.text };
  } finally {
    for (const left of [id, `d${id}`, `i${id}`]) {
      const node = document.getElementById(left);
      if (node && !node.closest('figure')) node.remove();
    }
  }
}"""


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(get_settings().pdf_chromium_path), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A page holding Mermaid and the rules, as the PDF renderer's diagram page does."""
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "page.html"
        scripts = [get_settings().pdf_mermaid_js.resolve().as_uri(), POLICY_JS.as_uri()]
        tags = "".join(f'<script src="{s}"></script>' for s in scripts)
        html.write_text(
            f'<!doctype html><html><head><meta charset="utf-8">{tags}</head><body><main></main></body></html>'
        )
        pg = await browser.new_page()
        await pg.goto(html.as_uri())
        await pg.evaluate("() => mermaid.initialize(nyxDiagramPolicy.mermaidConfig())")
        yield pg
        await pg.close()


_ids = iter(range(10_000))


async def draw(page: Page, source: str) -> dict[str, Any]:
    answer: dict[str, Any] = await page.evaluate(DRAW, [f"nyx-test-{next(_ids)}", source])
    return answer


async def clean(page: Page, source: str) -> dict[str, Any]:
    cleaned: dict[str, Any] = await page.evaluate("(s) => nyxDiagramPolicy.cleanSource(s)", source)
    return cleaned


@pytest.mark.parametrize("kind", LABELS_AS_TEXT)
async def test_labels_show_a_greater_than_sign_and_tags_as_the_text_written(page: Page, kind: str) -> None:
    drawn = await draw(page, LABELS_AS_TEXT[kind])
    assert "svg" in drawn, drawn
    text = svg_text(drawn["svg"])
    assert "a > b" in text or "p > q" in text, text
    if kind.startswith(("flowchart", "C4", "block")):  # the kinds whose labels the rules escape
        assert "<b>bold</b>" in text or "<b>c</b>" in text, text
    else:  # shown as text by Mermaid itself, a space each side of a tag
        assert "<b>" in text and "</b>" in text, text
    assert svg_problems(drawn["svg"]) == []


async def test_a_label_wrapped_onto_rows_keeps_its_words_apart(page: Page) -> None:
    drawn = await draw(page, "graph LR\n  A[Enrich notes and screenshots before the first action point] --> B")
    # As the page's own text (what find-in-page, copying and the PDF's text read): no space added.
    assert "Enrich notes and screenshots before the first action point" in drawn["text"], drawn["text"]
    assert drawn["svg"].count("text-outer-tspan") > 1  # it was wrapped


async def test_without_the_escape_mermaid_drops_the_sign(page: Page) -> None:
    """Why the rules escape: Mermaid 12.3 with text labels, given the source as written."""
    raw = await page.evaluate(
        """async () => {
          const { svg } = await mermaid.render('nyx-raw', 'graph TD\\n  A[a > b] --> B');
          return svg;
        }"""
    )
    assert "a > b" not in svg_text(raw) and "a b" in svg_text(raw)


async def test_hostile_diagrams_draw_only_the_allowlist_and_request_nothing(page: Page, module_trap: Trap) -> None:
    corpus = diagrams(module_trap.url)
    results = {name: await draw(page, source) for name, source in corpus.items()}
    # Whatever the drawn diagrams would load has had its chance: wait until the page is idle.
    await page.evaluate("() => new Promise((r) => requestIdleCallback(() => setTimeout(r, 0)))")

    assert module_trap.connections == [], module_trap.connections
    assert await page.evaluate("() => window.__pwned === undefined")
    drawn = {name: r for name, r in results.items() if "svg" in r}
    for name, result in drawn.items():
        assert svg_problems(result["svg"]) == [], name
    in_page = await page.evaluate("() => [...document.querySelectorAll('main figure')].map(f => f.innerHTML)")
    assert all(svg_problems(svg) == [] for svg in in_page)
    assert (
        await page.evaluate("() => document.querySelectorAll('main :is(foreignObject, img, iframe, a, script)').length")
        == 0
    )
    # Each payload was drawn without what makes it hostile, or refused with a reason.
    assert {"click href", "class diagram links", "image shape", "style url", "front matter config"} <= set(drawn)
    assert "click actions and links" in results["click href"]["removed"]
    assert "settings (%%{init}%% or a --- block)" in results["front matter config"]["removed"]
    assert "images" in results["image shape over lines"]["removed"]
    assert "styles that load from elsewhere" in results["C4 style"]["removed"]
    assert results["unparseable"]["error"] == "Mermaid could not read the end of it (is something left open?)"
    assert results["not a diagram"]["error"].startswith("Mermaid does not know this kind of diagram")
    # HTML in labels stays the words it was written as.
    assert "<img src=" in svg_text(drawn["html label image"]["svg"]).replace("\u00a0", " ")


async def test_the_rules_put_nothing_outside_the_diagram_whatever_the_svg(page: Page, module_trap: Trap) -> None:
    """The last wall alone: hand-written SVG straight into sanitizeSvg, as if Mermaid had a bug."""
    t = module_trap.url
    svg = f"""<svg id="m" xmlns="http://www.w3.org/2000/svg" onload="{PWN}" viewBox="0 0 10 10">
      <style>@import url({t}/import.css); #m .a {{ fill: red; background: url({t}/bg.png) }}
        body {{ display: none }} #m ~ * {{ display: none }} #m, p {{ color: red }}
        #m .ok {{ fill: url(#grad); stroke: rgb(1, 2, 3) }} #m .b {{ fill: u\\72l({t}/esc.png) }}
        @font-face {{ font-family: x; src: url({t}/font.woff) }} #m .c {{ fill: image-set("{t}/set.png" 1x) }}
      </style>
      <script>{PWN}</script><a href="javascript:{PWN}"><text x="1" y="1" id="user-name">link</text></a>
      <a xlink:href="{t}/a"><rect width="1" height="1"/></a>
      <image href="{t}/image.png" width="5" height="5"/><use href="{t}/sprite.svg#x"/><use href="#grad"/>
      <foreignObject width="9" height="9"><div xmlns="http://www.w3.org/1999/xhtml">words
        <img src="{t}/fo.png"/><iframe src="{t}/fo"></iframe></div></foreignObject>
      <animate attributeName="href" to="javascript:{PWN}"/><set attributeName="onclick" to="{PWN}"/>
      <filter id="f"><feImage href="{t}/feimage.png"/></filter>
      <rect class="ok" width="2" height="2" style="fill: url({t}/inline.png); stroke: red" onclick="{PWN}"
        fill="url({t}/attr.png)" mask="url(#grad)"/>
      <linearGradient id="grad"><stop offset="0" stop-color="red"/></linearGradient>
      <svg><script>{PWN}</script><circle r="1" onmouseover="{PWN}"/></svg>
      <math><mi>x</mi></math><!-- <img src="{t}/comment.png"> -->
    </svg>"""
    result = await page.evaluate(
        """(svg) => {
          const checked = nyxDiagramPolicy.sanitizeSvg(svg, 'nyx-hand-1');
          document.querySelector('main').append(document.importNode(checked, true));
          return checked.outerHTML;
        }""",
        svg,
    )
    await page.evaluate("() => new Promise((r) => requestIdleCallback(() => setTimeout(r, 0)))")
    assert module_trap.connections == []
    assert await page.evaluate("() => window.__pwned === undefined")
    assert svg_problems(result) == []
    assert 'id="nyx-hand-1-user-name"' in result and 'id="user-name"' not in result
    assert "url(#nyx-hand-1-grad)" in result and 'href="#nyx-hand-1-grad"' in result
    assert "words" in svg_text(result)  # the foreignObject's words, as SVG text
    assert "fill: red" in result and "rgb(1, 2, 3)" in result  # what is harmless stays
    assert await page.evaluate("() => getComputedStyle(document.body).display") != "none"


async def test_an_svg_that_breaks_out_of_itself_is_refused_whole(page: Page, module_trap: Trap) -> None:
    """An HTML tag inside SVG closes it (the HTML parser's "breakout"): what follows would land
    beside the drawing, so nothing of it is used."""
    t = module_trap.url
    for svg in (
        f'<svg id="m"><math><mtext><img src="{t}/breakout.png" onerror="{PWN}"></mtext></math></svg>',
        f'<svg id="m"><g><p>text</p><img src="{t}/p.png"></g></svg>',
        f'<svg id="m"></svg><img src="{t}/after.png" onerror="{PWN}">',
        f'<img src="{t}/before.png"><svg id="m"></svg>',
        "<div>not an svg</div>",
    ):
        assert await page.evaluate("(svg) => nyxDiagramPolicy.sanitizeSvg(svg, 'nyx-out') === null", svg), svg
    assert module_trap.connections == []
    assert await page.evaluate("() => window.__pwned === undefined")


async def test_settings_actions_and_loading_styles_are_taken_out_before_mermaid(page: Page) -> None:
    source = "\n".join(
        [
            '%%{init: {"securityLevel": "loose"}}%%',
            "graph TD",
            '  A[Start] --> B["x > 0?"]',
            '  click A href "https://example.test"',
            "  B --> C; click C call alert(1); C --> D",
            "  style D fill:url(https://example.test/x.png)",
            "  style C fill:#f9f,stroke:#333",
            "  linkStyle 0 stroke:#ff3",
            "  B --> E[[",
        ]
    )
    cleaned = await clean(page, source)
    lines = cleaned["text"].split("\n")
    assert len(lines) == len(source.split("\n"))  # Mermaid's line numbers stay the reader's
    assert lines[0] == "" and lines[3] == "" and lines[5] == ""
    assert lines[2] == '  A[Start] --> B["x &gt; 0?"]'
    assert lines[4] == "  B --> C; C --> D"
    assert lines[6:8] == ["  style C fill:#f9f,stroke:#333", "  linkStyle 0 stroke:#ff3"]
    assert set(cleaned["removed"]) == {
        "settings (%%{init}%% or a --- block)",
        "click actions and links",
        "styles that load from elsewhere",
    }
    failed = await draw(page, source)
    assert failed["error"] == "Mermaid could not read line 9, “B --> E[[”"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("---\nconfig:\n  theme: dark\n---\ngraph TD\n  A --> B", "\n\n\n\ngraph TD\n  A --> B"),
        ("  ---\n  title: t\n  ---\n---\nconfig: {}\n---\ngraph LR", "\n\n\n\n\n\ngraph LR"),
        ("---\nconfig: never closed\ngraph TD", "\n\n"),
        ("%%{init: {}}%%%%{init: {}}%%graph TD", "graph TD"),
        ("%%{init: {'theme': 'dark'}", ""),
        ("graph TD\n  A -- a > b --> B & C\n  A <--> D\n  E>asym > x] ==> F", None),
        ("sequenceDiagram\n  A->>B: a > b", "sequenceDiagram\n  A->>B: a > b"),
        ('C4Context\n  Rel(a, b, "uses > x", $link="https://example.test")', 'C4Context\n  Rel(a, b, "uses &gt; x")'),
        ("graph TD\n  A[one<br/>two <br> three] --> B", "graph TD\n  A[one<br/>two <br> three] --> B"),
        ('classDiagram\n  link Duck "https://x"\n  Duck --> link', "classDiagram\n\n  Duck --> link"),
    ],
)
async def test_cleaning_keeps_the_diagram_and_its_lines(page: Page, source: str, expected: str | None) -> None:
    cleaned = await clean(page, source)
    if expected is None:
        assert cleaned["text"] == "graph TD\n  A -- a &gt; b --> B & C\n  A <--> D\n  E>asym &gt; x] ==> F"
    else:
        assert cleaned["text"] == expected


async def test_a_source_too_long_is_refused_before_mermaid(page: Page) -> None:
    source = "graph TD\n" + "\n".join(f"  N{i} --> N{i + 1}" for i in range(1000))
    drawn = await draw(page, source)
    assert drawn["error"] == "it is longer than 10,000 characters"


async def test_the_settings_mermaid_gets_keep_text_labels_whatever_is_asked(page: Page) -> None:
    asked = {"securityLevel": "loose", "htmlLabels": True, "flowchart": {"htmlLabels": True}}
    config = await page.evaluate("(asked) => nyxDiagramPolicy.mermaidConfig(asked)", asked)
    assert config["securityLevel"] == "strict"
    assert config["htmlLabels"] is False and config["flowchart"]["htmlLabels"] is False
    assert {"htmlLabels", "flowchart", "securityLevel", "themeCSS", "dompurifyConfig"} <= set(config["secure"])
    assert json.loads(json.dumps(config))  # plain data, as it is handed to Mermaid


@pytest.mark.parametrize(
    "source",
    [
        "graph LR\n  A[Start] --> B{Ok?}\n  B -->|yes| C[Done]",
        "mindmap\n  root((Plan))\n    Build\n    Ship",
        "sequenceDiagram\n  participant A\n  A->>B: hi",
    ],
)
async def test_a_copy_under_a_new_id_keeps_every_reference_inside_itself(page: Page, source: str) -> None:
    """The viewer checks a drawing again under a new id when a copy is already on the page: its
    markers, gradients and style rules must follow, or the copy would point into the first."""
    copies = await page.evaluate(
        """async (source) => {
          const { svg } = await mermaid.render('nyx-first', nyxDiagramPolicy.cleanSource(source).text);
          return ['nyx-first', 'nyx-second'].map((id) => nyxDiagramPolicy.sanitizeSvg(svg, id).outerHTML);
        }""",
        source,
    )
    for svg_id, svg in zip(("nyx-first", "nyx-second"), copies, strict=True):
        ids = set(re.findall(r'(?<![\w-])id="([^"]+)"', svg))
        refs = set(re.findall(r"url\(['\"]?#([\w.:-]+)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
        # (Mermaid's own CSS names a gradient it does not always draw: such a reference may dangle,
        # but it never points outside its own diagram.)
        assert refs and all(r.startswith(svg_id) for r in refs), refs
        assert ids and all(i.startswith(svg_id) for i in ids), ids
        assert svg_problems(svg) == []
    assert copies[1] == copies[0].replace("nyx-first", "nyx-second")
