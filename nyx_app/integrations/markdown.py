"""Markdown to safe HTML: the one renderer for every text a user or a model wrote.

Notes, memory entries, reports, discussions and LLM outputs are all attacker-controlled. Whatever
this returns is put into the page with `dangerouslySetInnerHTML` (components/markdown.py) and later
into the PDF export, so it must never carry script, styling, navigation, forms or outside requests.

Two walls, each enough on its own for what it covers:
1. markdown-it-py with raw HTML **off**: `<script>` in a note is shown as text, never parsed as a
   tag. Links pass `_link_allowed` (http, https, mailto or a same-origin relative URL) or lose their
   href; an image is an `<img>` only when it points at our own authenticated image route, any
   other image becomes a link showing its alt text, so no outside host is ever contacted by a viewer.
2. nh3 (the Rust "ammonia" sanitiser) re-parses that HTML as a browser would and keeps only an
   allowlist of tags, attributes, attribute values and URL schemes. It catches whatever a future
   markdown-it bug or a new render rule might let through.

Fenced code naming its language is coloured here (integrations/code_highlight.py: class names
only, the colours are the app's stylesheet). A ```mermaid block is marked for drawing
(`<pre><code class="language-mermaid">`, drawn by the app's diagram script, never here) only once
its closing fence is written: a model's answer that is still streaming, or a note being typed,
shows the unfinished diagram as code instead of a new error at every word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from nyx_app.integrations.code_highlight import TOKEN_CLASS, Budget, highlight_code

# The image route of nyx_app/api/images.py (a layer above us, so its prefix is repeated here; a test
# checks the two agree). Only these images load: the route checks the session and the tenant.
OWN_IMAGE_PREFIX = "/api/images/"
_OWN_IMAGE = re.compile(r"/api/images/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(/thumb)?")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# C0 controls and spaces, which a browser's URL parser strips or skips before reading the scheme.
_URL_JUNK = "".join(map(chr, range(33)))
_LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]{1,40}")
DIAGRAM_LANGUAGE = "mermaid"
_DIGITS = re.compile(r"\d{1,9}")
IMAGE_LINK_CLASS = "md-image-link"
HEADING_ID_PREFIX = "md-"
# The only inline style markdown-it writes: column alignment in GFM tables.
_ALIGN_STYLES = frozenset({"text-align:left", "text-align:center", "text-align:right"})
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _link_allowed(url: str) -> bool:
    """http(s), mailto, or relative to this origin; never a scheme-relative `//host` or `/\\host`."""
    bare = url.lstrip(_URL_JUNK)
    scheme = _SCHEME.match(bare)
    if scheme is not None:
        return scheme.group(1).lower() in _SAFE_SCHEMES
    if ":" in re.split(r"[/?#]", bare, maxsplit=1)[0]:
        return False  # looks like a scheme we cannot read (`java%09script:`): no guessing
    # Browsers read `\` as `/` in http URLs; markdown-it percent-encodes it, the sanitiser sees raw.
    head = bare[:2].replace("\\", "/")
    return head != "//" and not bare.lower().startswith(("/%5c", "%5c"))


def _inside_link(tokens: Sequence[Token], idx: int) -> bool:
    for t in reversed(tokens[:idx]):
        if t.type == "link_close":
            return False
        if t.type == "link_open":
            return True
    return False


def _render_image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    if _OWN_IMAGE.fullmatch(src):
        title = token.attrGet("title")
        title_attr = f' title="{escapeHtml(str(title))}"' if title else ""
        return f'<img src="{escapeHtml(src)}" alt="{escapeHtml(alt)}"{title_attr} loading="lazy">'
    # Anything else is never fetched: the reader sees that an image was meant, and can follow it.
    label = escapeHtml(alt or src or "image")
    if not src or _inside_link(tokens, idx):
        return f'<span class="{IMAGE_LINK_CLASS}">{label}</span>'
    return f'<a href="{escapeHtml(src)}" class="{IMAGE_LINK_CLASS}">{label}</a>'


def _render_link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    if not token.attrGet("href"):  # markdown-it empties a refused destination; no href, no navigation
        token.attrs.pop("href", None)
    return self.renderToken(tokens, idx, options, env)


def _fence_closed(token: Token) -> bool:
    """Whether the fence's closing line was written: markdown-it's map then spans the content's
    lines plus the opening and the closing line."""
    content = token.content
    lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
    return token.map is not None and token.map[1] - token.map[0] == lines + 2


def _render_fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    info = unescapeAll(token.info).strip()
    language = info.split(maxsplit=1)[0] if info else ""
    content = token.content
    if language.lower() == DIAGRAM_LANGUAGE:
        # Drawn by the browser once finished; until then (or as a diagram's source) plain code.
        marked = ' class="language-mermaid"' if _fence_closed(token) else ""
        return f"<pre><code{marked}>{escapeHtml(content)}</code></pre>\n"
    budget = env.setdefault("highlight_budget", Budget())
    body = highlight_code(content, language, budget) or escapeHtml(content)
    attr = f' class="language-{escapeHtml(language)}"' if _LANGUAGE_CLASS.fullmatch(f"language-{language}") else ""
    return f"<pre><code{attr}>{body}</code></pre>\n"


def _slug(text: str) -> str:
    words = re.findall(r"\w+", text.lower())
    return "-".join(words)[:60].strip("-_") or "section"


def _heading_ids(state: StateCore) -> None:
    """Stable ids (`md-<slug>`, `md-<slug>-2` ...) for a table of contents; prefixed so a heading can
    never take an id the app itself uses (`#note-title`) or clobber a global in the page."""
    seen: dict[str, int] = {}
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        base = _slug("".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")))
        seen[base] = seen.get(base, 0) + 1
        token.attrSet("id", f"{HEADING_ID_PREFIX}{base}" + (f"-{seen[base]}" if seen[base] > 1 else ""))


def _build_parser() -> MarkdownIt:
    # CommonMark + GFM tables and strikethrough. linkify is left off: it needs linkify-it-py.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = _link_allowed  # type: ignore[method-assign]
    md.add_render_rule("image", _render_image)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("fence", _render_fence)
    md.core.ruler.push("heading_ids", _heading_ids)
    return md


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    """Values the allowlist alone cannot express; None drops the attribute."""
    if attr == "class":
        if tag == "code":
            return value if _LANGUAGE_CLASS.fullmatch(value) else None
        if tag == "span" and TOKEN_CLASS.fullmatch(value):
            return value
        return value if value == IMAGE_LINK_CLASS else None
    if tag == "img" and attr == "src":
        return value if _OWN_IMAGE.fullmatch(value) else None
    if tag == "img" and attr == "loading":
        return "lazy"
    if tag == "ol" and attr == "start":
        return value if _DIGITS.fullmatch(value) else None
    if attr == "href" and not _link_allowed(value):
        return None
    return value


def _relative_url(url: str) -> str | None:
    return url if _link_allowed(url) else None


def _build_cleaner() -> nh3.Cleaner:
    align = {"style": set(_ALIGN_STYLES)}
    return nh3.Cleaner(
        tags={
            *("p", "br", "hr", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "span"),
            *("a", "img", "table", "thead", "tbody", "tr", "th", "td", *_HEADINGS),
        },
        clean_content_tags={"script", "style", "iframe", "noscript", "template", "textarea", "title", "svg", "math"},
        attributes={
            "a": {"href", "title", "class"},
            "img": {"src", "alt", "title", "loading"},
            "code": {"class"},
            "span": {"class"},
            "ol": {"start"},
            **{h: {"id"} for h in _HEADINGS},
        },
        tag_attribute_values={"th": align, "td": align},
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer nofollow",
        url_schemes=set(_SAFE_SCHEMES),
        url_relative=_relative_url,
        id_prefix=HEADING_ID_PREFIX,
        strip_comments=True,
    )


_parser = _build_parser()
_cleaner = _build_cleaner()


def sanitize(html: str) -> str:
    """The second wall alone: allowlisted tags, attributes and URLs of an HTML fragment."""
    return _cleaner.clean(html)


def render(markdown: str) -> str:
    """Safe HTML for `markdown` (CommonMark + GFM tables and strikethrough); raw HTML shows as text.

    Pure CPU, ~85% of it markdown-it's parse: about 0.3 s for a 145,000-character report
    (scripts/bench/markdown.py). Fine inside an event handler for notes and memory entries; render
    a whole report in the job that produces it, not in a handler.
    """
    # A table wider than its box scrolls sideways; tabindex lets a keyboard reach and scroll it
    # (added after the sanitiser, on the one tag it is for).
    return _cleaner.clean(_parser.render(markdown or "")).replace("<table>", '<table tabindex="0">')


def plain_text(markdown: str, limit: int) -> str:
    """The words of ``markdown`` without its syntax, for an excerpt shown as text (never as HTML):
    headings, emphasis, links and lists become their words, code its text; images are left out (a
    note's images have their own thumbnails). Raw HTML stays the text it was typed as. At most
    ``limit`` characters, ending in "…" when cut."""
    pieces: list[str] = []
    for token in _parser.parse(markdown or ""):
        if token.type in ("fence", "code_block"):
            pieces.append(token.content)
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                pieces.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                pieces.append(" ")
        pieces.append(" ")
    text = " ".join("".join(pieces).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def highlight(marked: str, start: str = "", stop: str = "") -> str:
    """Plain text with match markers (PostgreSQL ``ts_headline``) to HTML: everything escaped,
    then only the markers become ``<mark>``. The markers must be letters and digits, which
    escaping leaves as they are; the text itself can never produce a tag. Without markers the
    text is only escaped."""
    escaped = escapeHtml(marked)
    if not start and not stop:
        return escaped
    if not start.isalnum() or not stop.isalnum():
        raise ValueError("highlight markers must be letters and digits only")
    return escaped.replace(start, "<mark>").replace(stop, "</mark>")
