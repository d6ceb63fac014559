"""The test's own reading of a drawn diagram: what an SVG from the diagram rules may hold, checked
with Python's HTML parser (independent of the JavaScript that produced it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.fakes.hostile_diagrams import SVG_ELEMENTS

_SAME_DOCUMENT_URL = re.compile(r"url\(\s*['\"]?#[\w.:-]+['\"]?\s*\)", re.IGNORECASE)
_FUNCTION = re.compile(r"([a-z-]+)\s*\(", re.IGNORECASE)
# Functions a style may use: colours, lengths, transforms; `url(` only to an id of the diagram.
_FUNCTIONS = {
    *("url", "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color", "color-mix"),
    *("calc", "min", "max", "clamp", "var", "translate", "translatex", "translatey", "scale", "scalex"),
    *("scaley", "rotate", "skewx", "skewy", "matrix", "cubic-bezier", "steps", "drop-shadow"),
}


class _Svg(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def css_problems(css: str) -> list[str]:
    """Anything in a value that could fetch: a function other than the allowed ones, `url()` to
    anything but `#id`, an `@import`, a backslash escape."""
    found = []
    if "@import" in css.lower() or "\\" in css:
        found.append(css[:80])
    for match in _FUNCTION.finditer(css):
        name = match.group(1).lower()
        if name not in _FUNCTIONS:
            found.append(f"{name}()")
        elif name == "url" and not _SAME_DOCUMENT_URL.match(css, match.start()):
            found.append(css[match.start() : match.start() + 60])
    return found


def selector_problems(css: str, svg_id: str) -> list[str]:
    """Rules that reach outside the diagram: a selector not starting at its root, or a sibling
    combinator straight after it."""
    found = []
    for prelude in re.findall(r"(?:^|})\s*([^\s{}@][^{}]*)\{", css):
        for part in prelude.split(","):
            text = part.strip()
            if not text or text.endswith("%") or text in {"from", "to"}:
                continue  # keyframe selectors
            rest = text[len(svg_id) + 1 :] if text.startswith(f"#{svg_id}") else None
            if rest is None or re.match(r"\s*[~+]", rest) or (rest and rest[0].isalnum()):
                found.append(text)
    return found


def svg_problems(svg: str) -> list[str]:
    """Everything in ``svg`` (serialised) that the diagram rules promise never to let through."""
    parsed = _Svg()
    parsed.feed(svg)
    parsed.close()
    problems = []
    if not parsed.tags or parsed.tags[0][0] != "svg":
        return ["not an <svg>"]
    svg_id = parsed.tags[0][1].get("id", "")
    for tag, attrs in parsed.tags:
        if tag not in SVG_ELEMENTS:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"{tag} {name}")
            elif name in {"href", "xlink:href"} and not re.fullmatch(r"#[\w.:-]+", value):
                problems.append(f"{tag} {name}={value[:60]}")
            elif name in {"src", "srcdoc", "action", "formaction", "target", "attributename"}:
                problems.append(f"{tag} {name}")
            elif name == "id" and not value.startswith(svg_id):
                problems.append(f"{tag} id={value} (not the diagram's)")
            elif not name.startswith(("data-", "aria-")):
                problems += [f"{tag} {name}: {p}" for p in css_problems(value)]
    for css in parsed.styles:
        problems += css_problems(css) + [f"selector {s}" for s in selector_problems(css, svg_id)]
    return problems


def svg_text(svg: str) -> str:
    """The words of the diagram, as a reader sees them (whitespace collapsed)."""
    parsed = _Svg()
    parsed.feed(svg)
    return " ".join(" ".join(parsed.text).split())
