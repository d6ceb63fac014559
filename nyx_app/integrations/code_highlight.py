"""Code blocks coloured on the server: Pygments turns a fenced block that names its language into
spans with class names (``tok-k`` for a keyword ...), and the Markdown renderer's allowlist keeps
those class names and nothing else, no inline style. The colours live in one stylesheet,
``assets/code_highlight.css`` (light and dark), written from the pinned Pygments' styles by
``python -m nyx_app.integrations.code_highlight`` (a test fails when it is out of date).

Lexing is regular-expression work on text a member or a model wrote, done where the Markdown is
rendered (often an event handler), so it has a budget:
- only ``LANGUAGES`` (common ones whose lexers scripts/bench/highlight.py runs against hostile
  input) and only the language the writer named: never guessed;
- a block over ``MAX_BLOCK_CHARS`` stays plain;
- a document spends at most ``BUDGET_SECONDS`` lexing, checked between tokens: some lexers are
  quadratic on hostile input (TypeScript on ``1.1.1.…``: ~0.5 s for 8,000 characters), but each
  token is quick, so lexing stops soon after the budget is spent and the rest stays plain.
"""

from __future__ import annotations

import io
import re
import sys
import time
from collections.abc import Iterator

from pygments.formatters.html import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

CLASS_PREFIX = "tok-"
# A class Pygments writes for a token type: the prefix and its short name (`tok-kd`, `tok-s2`).
TOKEN_CLASS = re.compile(rf"{CLASS_PREFIX}[a-z0-9]{{1,4}}")
MAX_BLOCK_CHARS = 20_000
BUDGET_SECONDS = 0.1
_CHECK_EVERY = 64  # tokens between looks at the clock
# The names a fence may use (Pygments' aliases); anything else is shown plain. Left out on purpose
# (scripts/bench/highlight.py): C and C++ (one step of their lexer ran over 60 s on 20,000
# characters of nested brackets), INI (8 s on a run of spaces) and Python console sessions (0.8 s):
# no check between tokens can stop a single regular expression.
LANGUAGES = frozenset(
    {
        *("python", "py", "python3", "javascript", "js", "jsx", "typescript", "ts", "tsx", "json"),
        *("yaml", "yml", "toml", "bash", "sh", "shell", "zsh", "console", "shell-session", "powershell"),
        *("sql", "postgresql", "html", "xml", "css", "scss", "go", "golang", "rust", "rs", "java"),
        *("kotlin", "csharp", "cs", "ruby", "rb", "php", "diff", "udiff", "dockerfile", "docker"),
        *("make", "makefile", "swift", "scala", "lua", "r", "perl", "graphql", "protobuf", "proto"),
        *("nginx", "jinja", "html+jinja", "elixir", "haskell", "dart"),
    }
)
# Styles whose colours keep 4.5:1 contrast (WCAG AA) on the code background, after `_readable`.
LIGHT_STYLE, DARK_STYLE = "xcode", "lightbulb"
# The code background of components/markdown.py (Radix gray-a3) over each theme's page.
LIGHT_BACKGROUND, DARK_BACKGROUND = "#f0f0f3", "#222326"
SCOPE = ".nyx-markdown"

_formatter = HtmlFormatter(nowrap=True, classprefix=CLASS_PREFIX)


class Budget:
    """Lexing time left for one document (wall clock: what the event loop would wait), spent by its
    blocks in turn."""

    def __init__(self, seconds: float = BUDGET_SECONDS) -> None:
        self.left = seconds
        self._deadline = 0.0

    def start(self) -> None:
        self._deadline = time.perf_counter() + self.left

    def spent(self) -> bool:
        return time.perf_counter() >= self._deadline

    def stop(self) -> None:
        self.left = max(0.0, self._deadline - time.perf_counter())


def _lexer(language: str) -> Lexer | None:
    if language.lower() not in LANGUAGES:
        return None
    try:
        return get_lexer_by_name(language.lower(), stripnl=False, ensurenl=False)
    except (ClassNotFound, ValueError):
        return None


def highlight_code(code: str, language: str, budget: Budget) -> str | None:
    """HTML spans for ``code`` in ``language`` (escaped text inside class-only spans), or None when
    it stays plain: a language not in ``LANGUAGES``, a block too long, or the document's budget
    spent before the block was lexed to its end."""
    if not language or len(code) > MAX_BLOCK_CHARS or budget.left <= 0:
        return None
    lexer = _lexer(language)
    if lexer is None:
        return None
    tokens = []
    budget.start()
    try:
        for count, token in enumerate(lexer.get_tokens(code), 1):
            tokens.append(token)
            if count % _CHECK_EVERY == 0 and budget.spent():
                return None
    finally:
        budget.stop()
    out = io.StringIO()
    _formatter.format(tokens, out)
    return out.getvalue()


# ------------------------------------------------------------------------------------ stylesheet
def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""
    la, lb = sorted((_luminance(a.lstrip("#")), _luminance(b.lstrip("#"))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _readable(colour: str, background: str) -> str:
    """``colour``, moved towards black (light background) or white (dark) until it reads at 4.5:1."""
    towards = 0 if _luminance(background.lstrip("#")) > 0.5 else 255
    rgb = [int(colour[i : i + 2], 16) for i in (0, 2, 4)]
    while contrast("".join(f"{c:02x}" for c in rgb), background) < 4.5:
        rgb = [round(c + (towards - c) * 0.1) for c in rgb]
    return "".join(f"{c:02x}" for c in rgb)


def _rules(style: StyleMeta, background: str, scope: str) -> Iterator[str]:
    """One rule per token class, colour and weight and slant each said (``inherit`` when the style
    has none), so the dark rules fully cover the light ones beneath them."""
    for token, name in sorted(STANDARD_TYPES.items(), key=lambda item: item[1]):
        if not name:
            continue
        look = style.style_for_token(token)
        colour = f"#{_readable(look['color'], background)}" if look["color"] else "inherit"
        weight = "600" if look["bold"] else "inherit"
        slant = "italic" if look["italic"] else "inherit"
        yield f"{scope} .{CLASS_PREFIX}{name} {{ color: {colour}; font-weight: {weight}; font-style: {slant}; }}"


def stylesheet() -> str:
    """assets/code_highlight.css: light colours, and dark ones under Reflex's ``html.dark``."""
    head = (
        "/* Written by `python -m nyx_app.integrations.code_highlight > assets/code_highlight.css`\n"
        f"   from Pygments' {LIGHT_STYLE!r} (light) and {DARK_STYLE!r} (dark) styles; do not edit. */\n"
    )
    light = _rules(get_style_by_name(LIGHT_STYLE), LIGHT_BACKGROUND, SCOPE)
    dark = _rules(get_style_by_name(DARK_STYLE), DARK_BACKGROUND, f".dark {SCOPE}")
    return head + "\n".join([*light, *dark]) + "\n"


def print_stylesheet() -> str:
    """Light colours only, unscoped: for pages without a dark theme (the PDF, the public post)."""
    return "\n".join(rule.lstrip() for rule in _rules(get_style_by_name(LIGHT_STYLE), "#f6f8fa", "")) + "\n"


if __name__ == "__main__":
    sys.stdout.write(stylesheet())
