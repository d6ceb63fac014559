"""What differs between an auto-fix run and a refactor run: their categories and prompts.

Both have the same shape (services/code/fixes.py): a model step finds items in the synced code
(file, line range, severity, category, explanation — a JSON list checked against ``issue_schema``),
the run waits while the user selects items, and a tool step asks the model for search/replace
edits per selected item and turns them into checked patches (services/code/patches.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nyx_app.models.run import RunKind

MAX_ISSUES = 40
TEXT_MAX = 4_000
SEVERITIES = ("low", "medium", "high", "critical")


class FixMode(StrEnum):
    AUTOFIX = "autofix"
    REFACTOR = "refactor"


@dataclass(frozen=True, slots=True)
class Mode:
    kind: RunKind
    name: str  # "Auto-fix"
    noun: str  # what one item is called: "issue", "refactoring"
    categories: tuple[str, ...]
    detect: str  # the detection prompt (a template: {{repo_map}}, {{files}})
    fix: str  # what the fix is asked to do (plain text: the item is appended as data)


AUTOFIX = Mode(
    RunKind.CODE_AUTOFIX, "Auto-fix", "issue",
    ("bug", "security", "error-handling", "performance", "resource-leak", "concurrency", "correctness"),
    """Find defects in the code of the project "{{ project.name }}".

The repository map (the symbols the rest of the code relies on most):
{{ repo_map }}

The files to review:
{{ files }}

List real defects only (bugs, security problems, missing error handling, leaks, races), each in one
file of the files above. Answer with a JSON array only; each item: {"title": a short name, "file":
the file's path as shown, "start_line": first line, "end_line": last line, "severity": "low" |
"medium" | "high" | "critical", "category": one of CATEGORIES, "explanation": what is wrong and
why it matters}.""",
    "Fix the issue below with the smallest change that corrects it.",
)  # fmt: skip
REFACTOR = Mode(
    RunKind.CODE_REFACTOR, "Refactor", "refactoring",
    ("duplication", "complexity", "naming", "dead-code", "dependency-structure", "test-gaps"),
    """Propose refactorings of the code of the project "{{ project.name }}".

The repository map (the symbols the rest of the code relies on most):
{{ repo_map }}

The files to review:
{{ files }}

Look for duplication, complexity, naming, dead code, dependency structure and test gaps, each in
one file of the files above. Answer with a JSON array only; each item: {"title": a short name,
"file": the file's path as shown, "start_line": first line, "end_line": last line, "severity":
"low" | "medium" | "high" | "critical", "category": one of CATEGORIES, "explanation": what to
change and why (the rationale)}.""",
    "Carry out the refactoring below without changing behaviour.",
)  # fmt: skip
MODES = {FixMode.AUTOFIX: AUTOFIX, FixMode.REFACTOR: REFACTOR}
# A docs run (services/code/docs.py) has no issues to select; its patch is shown the same way.
DOCS = Mode(RunKind.CODE_DOCS, "Docs", "document", ("docs",), "", "")
BY_KIND = {m.kind.value: m for m in (*MODES.values(), DOCS)}


def detect_prompt(mode: Mode) -> str:
    return mode.detect.replace("CATEGORIES", " | ".join(f'"{c}"' for c in mode.categories))


def issue_schema(mode: Mode) -> dict[str, Any]:
    return {
        "type": "array",
        "maxItems": MAX_ISSUES,
        "items": {
            "type": "object",
            "required": ["title", "file", "start_line", "end_line", "severity", "category", "explanation"],
            "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 200},
                "file": {"type": "string", "minLength": 1, "maxLength": 1000},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
                "severity": {"enum": list(SEVERITIES)},
                "category": {"enum": list(mode.categories)},
                "explanation": {"type": "string", "maxLength": TEXT_MAX},
            },
        },
    }


EDITS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["rationale", "edits"],
    "properties": {
        "rationale": {"type": "string", "maxLength": TEXT_MAX},
        "edits": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "object",
                "required": ["search", "replace"],
                "properties": {"search": {"type": "string", "minLength": 1}, "replace": {"type": "string"}},
            },
        },
    },
}
FIX_SYSTEM = "You are a senior engineer changing code you have just been given. You answer with JSON only."


def fix_prompt(mode: Mode, issue: dict[str, Any], file_text: str, fence: str, mismatch: str = "") -> str:
    """The model sees the file and the item as data; ``mismatch`` is the error of its last try."""
    again = (
        f"\n\nYour previous edits could not be applied: {mismatch}\nCopy each SEARCH text exactly from the file."
        if mismatch
        else ""
    )
    return (
        f"{mode.fix}\n\n{mode.noun.capitalize()}: {issue['title']} ({issue['category']}, {issue['severity']}), "
        f"lines {issue['start_line']}-{issue['end_line']} of {issue['file']}.\n{issue['explanation']}\n\n"
        f"The file {issue['file']}:\n{fence}\n{file_text}\n{fence}\n\n"
        'Answer with a JSON object only: {"rationale": why this change, "edits": [{"search": text copied '
        'exactly from the file, unique in it, "replace": the text to put instead}]}. Edit only this file.'
        f"{again}"
    )
