"""Symbols of source files with tree-sitter: what each file defines and what names it refers to.

Grammars are the tree-sitter project's own prebuilt wheels (``tree-sitter-python``, ``-javascript``,
``-typescript``, ``-go``, ``-java``, ``-rust``), each with its ``queries/tags.scm`` (the queries
GitHub's code navigation and aider's repository map use). ``tree-sitter-language-pack`` 1.x was
tried first: it downloads its grammars from GitHub at first use, which a server must not do.

Runs in a limited child process (services/code/repo_map.py, ``integrations/limited_pool.py``):
a hostile file that makes a grammar slow or large costs that child, not the web process.
"""

from __future__ import annotations

import importlib
import importlib.resources
import json
from functools import lru_cache
from typing import Any

import tree_sitter as ts

_TS_TAGS = ("tree_sitter_javascript", "tree_sitter_typescript")  # TypeScript extends JavaScript's
# language → (grammar module, its function, the modules whose tags.scm apply)
GRAMMARS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Python": ("tree_sitter_python", "language", ("tree_sitter_python",)),
    "JavaScript": ("tree_sitter_javascript", "language", ("tree_sitter_javascript",)),
    "TypeScript": ("tree_sitter_typescript", "language_typescript", _TS_TAGS),
    "TSX": ("tree_sitter_typescript", "language_tsx", _TS_TAGS),
    "Go": ("tree_sitter_go", "language", ("tree_sitter_go",)),
    "Java": ("tree_sitter_java", "language", ("tree_sitter_java",)),
    "Rust": ("tree_sitter_rust", "language", ("tree_sitter_rust",)),
}  # fmt: skip
SUPPORTED = frozenset({"Python", "JavaScript", "TypeScript", "Go", "Java", "Rust"})
LINE_CHARS = 160
MAX_DEFS = 400  # per file
SAME_NAME_DEFS = 2  # a name assigned 20,000 times in one file is listed twice, not 400 times
MAX_REF_NAMES = 2000  # per file


def grammar(language: str, path: str = "") -> str:
    return "TSX" if language == "TypeScript" and path.endswith(".tsx") else language


@lru_cache(maxsize=16)
def _language(name: str) -> ts.Language:
    module, function, _ = GRAMMARS[name]
    return ts.Language(getattr(importlib.import_module(module), function)())


@lru_cache(maxsize=16)
def _queries(name: str) -> tuple[ts.Query, ...]:
    language = _language(name)
    queries = []
    for module in GRAMMARS[name][2]:
        text = (importlib.resources.files(module) / "queries" / "tags.scm").read_text(encoding="utf-8")
        try:
            queries.append(ts.Query(language, text))
        except (ts.QueryError, SyntaxError, ValueError):  # a JS pattern the TS grammar names otherwise
            continue
    return tuple(queries)


def extract(language: str, path: str, content: bytes) -> dict[str, Any]:
    """``{"defs": [[name, kind, line, text]], "refs": {name: count}}`` of one file."""
    name = grammar(language, path)
    if name not in GRAMMARS:
        return {"defs": [], "refs": {}}
    tree = ts.Parser(_language(name)).parse(content)
    lines = content.split(b"\n")
    defs: dict[tuple[str, int], list[Any]] = {}
    refs: dict[str, int] = {}
    seen: dict[str, int] = {}
    for query in _queries(name):
        for _pattern, captures in ts.QueryCursor(query).matches(tree.root_node):
            nodes = captures.get("name")
            if not nodes:
                continue
            node = nodes[0]
            ident = (node.text or b"").decode("utf-8", "replace")
            if not ident:
                continue
            role = next((k for k in captures if k.startswith(("definition.", "reference."))), "")
            if role.startswith("definition."):
                row = node.start_point[0]
                if (ident, row) in defs or len(defs) >= MAX_DEFS or seen.get(ident, 0) >= SAME_NAME_DEFS:
                    continue
                seen[ident] = seen.get(ident, 0) + 1
                text = lines[row].decode("utf-8", "replace").strip()[:LINE_CHARS] if row < len(lines) else ""
                defs[(ident, row)] = [ident, role.removeprefix("definition."), row + 1, text]
            elif role.startswith("reference.") and (ident in refs or len(refs) < MAX_REF_NAMES):
                refs[ident] = refs.get(ident, 0) + 1
    return {"defs": sorted(defs.values(), key=lambda d: d[2]), "refs": refs}


def extract_many(files: list[tuple[str, str, bytes]]) -> list[str]:
    """``extract`` for each (language, path, content), as JSON text: one child-process call per
    batch, and one string per file to unpickle (thousands of small lists took seconds)."""
    return [json.dumps(extract(language, path, content), ensure_ascii=False) for language, path, content in files]
