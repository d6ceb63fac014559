"""Writing Markdown from other people's text: names that stay names, cells that stay cells, code
blocks that stay closed, and headings that stay under the heading they were put under.

Reports are built from what users and models wrote. The renderer keeps that text harmless
(integrations/markdown.py); these helpers keep it from *reshaping* the report: a note titled
``# Admin | [click](…)`` must read as that title, not as a heading, a column and a link.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal

DASH = "\u2013"  # an en dash: "no value"
# ASCII punctuation that can start or end Markdown structure inside a line; CommonMark allows a
# backslash before any ASCII punctuation, so escaping too much is harmless.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!&{}()])")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")
_BACKTICKS = re.compile(r"`+")


def one_line(text: str, limit: int = 0) -> str:
    """Whitespace (line breaks included) collapsed; control and invisible format characters gone."""
    kept = "".join(ch for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n\r ")
    flat = " ".join(kept.split())
    return flat[: limit - 1] + "…" if limit and len(flat) > limit else flat


def inline(text: str, limit: int = 0) -> str:
    """Plain text shown as written inside a paragraph, heading or table cell."""
    return _INLINE_SPECIAL.sub(r"\\\1", one_line(text, limit))


def fence(body: str, language: str = "") -> str:
    """A fenced code block that no run of backticks inside ``body`` can close."""
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{body.rstrip()}\n{ticks}"


def demote(markdown: str, below: int) -> str:
    """Shift the ATX headings of ``markdown`` so the highest becomes level ``below + 1`` (at most 6),
    leaving code blocks alone: a note's "# Title" then sits under the report's own heading."""
    lines = markdown.splitlines()
    in_fence = ""
    levels: list[int] = []
    for line in lines:
        in_fence = _fence_state(line, in_fence)
        if not in_fence and (m := _ATX.match(line)):
            levels.append(len(m.group(2)))
    if not levels:
        return markdown
    shift = max(0, below + 1 - min(levels))
    out: list[str] = []
    in_fence = ""
    for line in lines:
        was_in = in_fence
        in_fence = _fence_state(line, in_fence)
        m = _ATX.match(line) if not was_in and not in_fence else None
        if m and shift:
            level = min(6, len(m.group(2)) + shift)
            line = f"{m.group(1)}{'#' * level}{line[m.end() :]}"
        out.append(line)
    return "\n".join(out)


def _fence_state(line: str, open_fence: str) -> str:
    """The fence that is open after ``line`` ("" when none)."""
    m = _FENCE_LINE.match(line)
    if not m:
        return open_fence
    marker = m.group(1)
    if not open_fence:
        return marker
    if marker[0] == open_fence[0] and len(marker) >= len(open_fence) and not line.strip()[len(marker) :].strip():
        return ""
    return open_fence


def table(header: list[str], rows: list[list[str]]) -> str:
    """A GFM table; cells are Markdown already made safe with ``inline`` (or built from it)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell or DASH for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def money(amount: Decimal | float | str | None) -> str:
    if amount is None:
        return DASH
    value = Decimal(str(amount))
    if value == 0:
        return "$0.00"
    if abs(value) < Decimal("0.0001"):  # never "$0.0000" for something that cost money
        return "< $0.0001"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else DASH


def day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1_048_576:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1_048_576:.1f} MB"


def mermaid_label(text: str, limit: int = 60) -> str:
    """Text for a quoted Mermaid label (``id["…"]``): its entity codes for what would end the label,
    the line or the code block, so any step name draws as itself."""
    flat = one_line(text, limit).replace("#", "#35;")
    for raw, code in (('"', "#quot;"), ("`", "#96;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;")):
        flat = flat.replace(raw, code)
    return flat or " "
