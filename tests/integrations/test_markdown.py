"""The Markdown renderer: hostile text comes out inert, ordinary Markdown looks as its writer meant."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from nyx_app.api.images import IMAGE_PATH
from nyx_app.integrations.markdown import OWN_IMAGE_PREFIX, render, sanitize
from tests.fakes.hostile_markdown import HOSTILE, HOSTILE_DOCUMENT, PWN

IMAGE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
OWN_IMAGE = f"/api/images/{IMAGE_ID}"

ALLOWED_TAGS = {
    *("p", "br", "hr", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "span", "a", "img"),
    *("table", "thead", "tbody", "tr", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6"),
}
SAFE_HREF = re.compile(r"(https?:|mailto:|[/?#.]|[\w%-]+(?:[/?#]|$))", re.IGNORECASE)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text a reader would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_inert(html: str) -> None:
    """Nothing that runs, restyles, navigates, submits or fetches from another host."""
    for tag, attrs in elements(html).tags:
        assert tag in ALLOWED_TAGS, f"<{tag}> survived in {html!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{name} on <{tag}>"
            assert name not in {"srcdoc", "formaction", "action", "srcset", "background", "http-equiv"}
            if name == "style":
                assert tag in {"th", "td"} and value in {"text-align:left", "text-align:center", "text-align:right"}
            if name == "class":
                assert (
                    (tag == "code" and re.fullmatch(r"language-[\w+#.-]+", value or ""))
                    or (tag == "span" and re.fullmatch(r"tok-[a-z0-9]{1,4}", value or ""))
                    or value == "md-image-link"
                ), f"class {value!r} on <{tag}>"
            if name == "href":
                href = value or ""
                assert SAFE_HREF.match(href), f"unsafe href {href!r}"
                assert not href.replace("\\", "/").startswith("//"), f"scheme-relative href {href!r}"
                assert attrs.get("rel") == "noopener noreferrer nofollow"
            if name == "src":
                assert tag == "img" and re.fullmatch(rf"/api/images/{IMAGE_ID}(/thumb)?", value or ""), value
            if name == "id":
                assert (value or "").startswith("md-")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_markdown_renders_inert(name: str) -> None:
    assert_inert(render(HOSTILE[name]))


@pytest.mark.parametrize("name", HOSTILE)
def test_the_sanitiser_alone_stops_the_same_payloads_as_raw_html(name: str) -> None:
    """The second wall, fed the payload as HTML: as if markdown-it ever let raw HTML through."""
    assert_inert(sanitize(HOSTILE[name]))


def test_the_whole_corpus_as_one_document_is_inert() -> None:
    assert_inert(render(HOSTILE_DOCUMENT))


def test_raw_html_is_shown_as_text_not_dropped() -> None:
    page = elements(render(HOSTILE["script"]))
    assert [t for t, _ in page.tags] == ["p"]
    assert "".join(page.text).strip() == f"<script>{PWN}</script>"
    form = "".join(elements(render(HOSTILE["form"])).text)
    assert '<input name="password" type="password"' in form


@pytest.mark.parametrize(
    "name",
    [
        "javascript link",
        "mixed case javascript link",
        "entity encoded javascript link",
        "javascript link with a tab",
        "data link",
        "vbscript link",
        "protocol relative link",
        "backslash relative link",
        "javascript autolink",
        "data autolink",
        "javascript reference link",
    ],
)
def test_dangerous_links_are_not_links(name: str) -> None:
    page = elements(render(HOSTILE[name]))
    assert [a for t, a in page.tags if t == "a"] == []
    assert "".join(page.text).strip()  # the reader still sees what was written


@pytest.mark.parametrize(
    ("markdown", "label", "href"),
    [
        ("![tracking pixel](https://tracker.test/p.png)", "tracking pixel", "https://tracker.test/p.png"),
        ("![](https://tracker.test/p.png)", "https://tracker.test/p.png", "https://tracker.test/p.png"),
        ("![ref pixel][i]\n\n[i]: https://tracker.test/r.png", "ref pixel", "https://tracker.test/r.png"),
        ("![route](/settings/members)", "route", "/settings/members"),
        (f"![query]({OWN_IMAGE}?x=1)", "query", f"{OWN_IMAGE}?x=1"),
    ],
)
def test_an_outside_image_becomes_a_link_showing_its_alt_text(markdown: str, label: str, href: str) -> None:
    page = elements(render(markdown))
    assert [t for t, _ in page.tags] == ["p", "a"]
    link = page.tags[1][1]
    assert link["href"] == href and link["class"] == "md-image-link"
    assert "".join(page.text).strip() == label


def test_an_outside_image_inside_a_link_is_a_label_not_a_second_link() -> None:
    page = elements(render("[![logo](https://tracker.test/l.png)](https://example.test)"))
    assert [t for t, _ in page.tags] == ["p", "a", "span"]
    assert page.tags[1][1]["href"] == "https://example.test"
    assert "".join(page.text).strip() == "logo"


def test_our_own_image_route_is_an_image() -> None:
    page = elements(render(f'![Login screen]({OWN_IMAGE} "The form") and ![thumb]({OWN_IMAGE}/thumb)'))
    images = [a for t, a in page.tags if t == "img"]
    assert images == [
        {"src": OWN_IMAGE, "alt": "Login screen", "title": "The form", "loading": "lazy"},
        {"src": f"{OWN_IMAGE}/thumb", "alt": "thumb", "loading": "lazy"},
    ]


def test_the_image_route_prefix_matches_the_api() -> None:
    assert IMAGE_PATH.startswith(OWN_IMAGE_PREFIX)


def test_ordinary_markdown_renders_as_the_writer_expects() -> None:
    html = render(
        "# Release plan\n\n"
        "Some *emphasis*, **bold**, ~~struck~~ and `inline()` text.\n\n"
        "- one\n- two\n  1. nested\n\n"
        "3. three\n4. four\n\n"
        "> a quote\n\n"
        "| Name | Score |\n|:-----|------:|\n| Ada  | 10    |\n\n"
        "```python\nprint('<hi>')\n```\n\n"
        "```mermaid\ngraph TD; A-->B\n```\n\n"
        "[docs](https://example.test/docs) <https://example.test> <team@example.test> "
        "[project](/projects/1#notes) [top](#md-release-plan)\n\n"
        "---\n\nline one  \nline two"
    )
    assert '<h1 id="md-release-plan">Release plan</h1>' in html
    assert "<em>emphasis</em>" in html and "<strong>bold</strong>" in html and "<s>struck</s>" in html
    assert "<code>inline()</code>" in html
    assert "<ul>\n<li>one</li>" in html and '<ol start="3">' in html and "<li>nested</li>" in html
    assert "<blockquote>\n<p>a quote</p>\n</blockquote>" in html
    assert '<th style="text-align:left">Name</th>' in html and '<td style="text-align:right">10</td>' in html
    assert '<pre><code class="language-python"><span class="tok-nb">print</span>' in html
    assert "<span class=\"tok-s1\">'&lt;hi&gt;'</span>" in html
    assert '<code class="language-mermaid">graph TD; A--&gt;B\n</code>' in html
    rel = 'rel="noopener noreferrer nofollow"'
    assert f'<a href="https://example.test/docs" {rel}>docs</a>' in html
    assert f'<a href="https://example.test" {rel}>https://example.test</a>' in html
    assert f'<a href="mailto:team@example.test" {rel}>team@example.test</a>' in html
    assert f'<a href="/projects/1#notes" {rel}>project</a>' in html
    assert f'<a href="#md-release-plan" {rel}>top</a>' in html
    assert "<hr>" in html and "line one<br>" in html
    assert_inert(html)


def test_heading_ids_are_stable_unique_and_prefixed() -> None:
    html = render("## Note title\n\n## Note title\n\n### `code` & *more*!\n\n## !!!")
    ids = [a["id"] for t, a in elements(html).tags if t.startswith("h")]
    assert ids == ["md-note-title", "md-note-title-2", "md-code-more", "md-section"]
    assert render("## Note title") == render("## Note title")


def test_empty_text_renders_nothing() -> None:
    assert render("") == ""
    assert render("   \n") == ""


def test_highlight_escapes_everything_and_marks_only_its_own_markers() -> None:
    from nyx_app.integrations.markdown import highlight

    marked = 'S<img src=x onerror=alert(1)>E and Sfuel"E & <mark>fake</mark>'
    html = highlight(marked, "S", "E")
    assert html == (
        "<mark>&lt;img src=x onerror=alert(1)&gt;</mark> and <mark>fuel&quot;</mark> "
        "&amp; &lt;mark&gt;fake&lt;/mark&gt;"
    )
    with pytest.raises(ValueError):
        highlight("x", "<b>", "</b>")
    assert highlight("S<b>E") == "S&lt;b&gt;E"  # no markers: only escaped


@pytest.mark.parametrize(
    ("markdown", "drawn"),
    [
        ("```mermaid\ngraph TD\n  A-->B\n```", True),
        ("```mermaid title\ngraph TD\n```\n\nafter", True),
        ("> ```mermaid\n> graph TD\n> ```", True),
        ("- item\n\n  ```mermaid\n  graph TD\n  ```", True),
        ("```mermaid\ngraph TD\n  A-->", False),  # a model still writing it
        ("```mermaid\ngraph TD\n  A-->B\n", False),
        ("> ```mermaid\n> graph TD\n\nafter", False),
        ("```Mermaid\ngraph TD\n```", True),
    ],
)
def test_a_mermaid_block_is_marked_for_drawing_only_once_its_fence_is_closed(markdown: str, drawn: bool) -> None:
    html = render(markdown)
    assert ('<code class="language-mermaid">' in html) is drawn, html
    assert "graph TD" in html and "tok-" not in html  # never coloured: it is a diagram's source
    assert_inert(html)


def test_fenced_code_is_coloured_with_class_names_only() -> None:
    html = render("```python\ndef f(x):\n    return '</code></pre><script>' if x > 1 else None\n```")
    page = elements(html)
    spans = [a for t, a in page.tags if t == "span"]
    assert spans and all(set(a) == {"class"} for a in spans)
    assert {"tok-k", "tok-nf", "tok-s1"} <= {a["class"] for a in spans}
    assert "".join(page.text).strip() == "def f(x):\n    return '</code></pre><script>' if x > 1 else None"
    assert [t for t, _ in page.tags if t not in {"span"}] == ["pre", "code"]
    assert_inert(html)


@pytest.mark.parametrize(
    "markdown",
    [
        "```\nno language\n```",
        "```brainfuck\n+[>+<-]\n```",  # a language the renderer does not colour
        "```python\n" + "x = 1\n" * 5_000 + "```",  # over MAX_BLOCK_CHARS
        '```"><script>\nx\n```',
    ],
)
def test_code_outside_the_rules_stays_plain_and_whole(markdown: str) -> None:
    html = render(markdown)
    assert "<span" not in html and "&lt;script" not in html.split("</code>")[0].split("<code")[0]
    assert_inert(html)


def test_the_sanitiser_keeps_token_classes_and_drops_everything_else_on_spans() -> None:
    html = sanitize(
        '<span class="tok-k" style="color:red" onclick="x()">a</span><span class="tok-k evil">b</span>'
        '<span class="rt-Box">c</span><span class="tok-verylongname">d</span>'
    )
    assert html == '<span class="tok-k">a</span><span>b</span><span>c</span><span>d</span>'
