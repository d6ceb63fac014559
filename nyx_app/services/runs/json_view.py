"""A model's JSON answer as Markdown a person reads: a list of objects becomes a table (one row per
item), a list of plain values a bulleted list, an object a two-column table of its fields.

The result is Markdown, so it reaches the page only through the one renderer
(``integrations/markdown.py``) like any other model text: nothing here writes HTML. Cell text is
flattened to one line and its table syntax escaped, so a hostile value cannot break out of its
cell or start a new block.
"""

from __future__ import annotations

import json
import re
from typing import Any

CELL_MAX = 600  # characters a cell shows; the raw JSON keeps everything
COLUMNS_MAX = 8
ROWS_MAX = 500
_SPACE = re.compile(r"\s+")


class NotReadable(ValueError):
    """The text is not JSON this view can lay out (the raw text is shown instead)."""


def _flat(value: Any) -> str:
    """One cell's text: lists joined with commas, objects as compact JSON, all on one line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        text = ", ".join(_flat(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    text = _SPACE.sub(" ", text).strip()
    if len(text) > CELL_MAX:
        text = text[: CELL_MAX - 1].rstrip() + "…"
    return text


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes and backslashes escaped."""
    return _flat(value).replace("\\", "\\\\").replace("|", "\\|")


def _header(key: str) -> str:
    words = key.replace("_", " ").strip()
    return cell(words[:1].upper() + words[1:]) if words else "…"


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(str(key), None)
    return list(seen)[:COLUMNS_MAX]


def _table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def to_markdown(data: Any) -> str:
    """Markdown for parsed JSON; raises NotReadable for shapes a table would not make clearer."""
    if isinstance(data, list):
        if not data:
            return "*An empty list.*"
        shown, more = data[:ROWS_MAX], len(data) - ROWS_MAX
        if all(isinstance(item, dict) for item in shown):
            columns = _columns(shown)
            if not columns:
                raise NotReadable("objects without fields")
            body = [[str(n), *(cell(item.get(c)) for c in columns)] for n, item in enumerate(shown, start=1)]
            text = _table(["#", *(_header(c) for c in columns)], body)
        elif not any(isinstance(item, dict | list) for item in shown):
            text = "\n".join(f"{n}. {cell(item) or '(empty)'}" for n, item in enumerate(shown, start=1))
        else:
            raise NotReadable("a list mixing objects and values")
        return text + (f"\n\n*… and {more} more (see the raw JSON).*" if more > 0 else "")
    if isinstance(data, dict):
        if not data:
            return "*An empty object.*"
        return _table(["Field", "Value"], [[_header(str(k)), cell(v)] for k, v in data.items()])
    raise NotReadable("a single value")


def readable(text: str) -> str:
    """Markdown for a JSON answer, or "" when it is not JSON or not a shape worth a table."""
    try:
        return to_markdown(json.loads(text))
    except (ValueError, RecursionError):
        return ""
