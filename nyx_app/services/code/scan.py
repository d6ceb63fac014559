"""Which files of a repository are read, and why the others are not: one rule per reason.

A file is skipped — listed, with the reason shown — when its name has control characters or is
not UTF-8, it is a submodule, a symlink (one pointing outside the repository says so), under a
vendored or generated folder, a generated or lock file by name, larger than the size limit, or
binary (a NUL byte in its first 8 KB, as git itself decides). Everything else is read for its
language and line count.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

LANGUAGES = {
    ".py": "Python", ".pyi": "Python", ".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript",
    ".js": "JavaScript", ".jsx": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".go": "Go",
    ".java": "Java", ".rs": "Rust", ".rb": "Ruby", ".php": "PHP", ".c": "C", ".h": "C", ".cc": "C++",
    ".cpp": "C++", ".hpp": "C++", ".cs": "C#", ".kt": "Kotlin", ".swift": "Swift", ".scala": "Scala",
    ".sh": "Shell", ".bash": "Shell", ".sql": "SQL", ".md": "Markdown", ".rst": "reStructuredText",
    ".html": "HTML", ".css": "CSS", ".scss": "SCSS", ".json": "JSON", ".yaml": "YAML", ".yml": "YAML",
    ".toml": "TOML", ".xml": "XML", ".vue": "Vue", ".svelte": "Svelte", ".txt": "Text",
}  # fmt: skip
NAMES = {"Dockerfile": "Dockerfile", "Makefile": "Makefile", "README": "Text", "LICENSE": "Text"}
VENDORED_DIRS = {
    "node_modules", "vendor", "third_party", "third-party", "bower_components", ".venv", "venv", "site-packages",
    "Pods", "Carthage",
}  # fmt: skip
GENERATED_DIRS = {"dist", "build", "out", "target", "__pycache__", ".next", ".nuxt", "coverage", "generated"}
GENERATED_NAMES = re.compile(
    r"(\.min\.(js|css)$|\.map$|\.pb\.go$|_pb2\.py$|\.generated\.\w+$|"
    r"^(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Cargo\.lock|go\.sum|composer\.lock|uv\.lock)$)"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BINARY_PROBE = 8000


@dataclass(frozen=True, slots=True)
class Verdict:
    path: str
    skipped: str = ""  # the reason, "" when the file is read
    language: str = ""


def language_of(path: str) -> str:
    name = posixpath.basename(path)
    if name in NAMES:
        return NAMES[name]
    return LANGUAGES.get(posixpath.splitext(name)[1].lower(), "")


def decode_name(raw: bytes) -> tuple[str, str]:
    """The path as text and, if it cannot be listed as it is, why."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace"), "the file name is not UTF-8"
    if _CONTROL.search(text):
        return _CONTROL.sub("?", text), "the file name contains control characters"
    return text, ""


def symlink_escapes(path: str, target: str) -> bool:
    """Whether a symlink at ``path`` pointing to ``target`` leaves the repository."""
    if target.startswith("/"):
        return True
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return joined == ".." or joined.startswith("../")


def by_path(path: str, mode: str, size: int, max_bytes: int) -> str:
    """The reason a file is skipped that its path, mode and size tell ("" if none)."""
    if mode == "160000":
        return "submodule (not fetched)"
    parts = path.split("/")
    if any(p in VENDORED_DIRS for p in parts[:-1]):
        return "vendored (third-party code)"
    if any(p in GENERATED_DIRS for p in parts[:-1]) or GENERATED_NAMES.search(parts[-1]):
        return "generated"
    if mode != "120000" and size > max_bytes:
        return f"oversized ({size // 1024:,} KB; the limit is {max_bytes // 1024:,} KB)"
    return ""


def by_content(path: str, mode: str, content: bytes) -> str:
    if mode == "120000":
        target = content.decode("utf-8", "replace")
        if symlink_escapes(path, target):
            return "symlink pointing outside the repository (refused)"
        return f"symlink to {target[:150]}"
    if b"\0" in content[:BINARY_PROBE]:
        return "binary"
    return ""


def count_lines(content: bytes) -> int:
    if not content:
        return 0
    return content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
