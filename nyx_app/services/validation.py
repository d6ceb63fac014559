"""Small input checks shared by services; each failure is an InvalidInput the user can act on.

Every text that enters goes through ``check_text`` (directly or via ``required_text`` /
``optional_text``), in one of two kinds:

- ``TextKind.NAME`` (the default): names, titles, tags, URLs, paths — one line, shown to others
  where a spoofed look matters. Refused: control characters, bidi controls (U+202E can make
  "exe.txt" read "txt.exe"), and invisible format characters (zero-width space and joiners,
  U+2060, U+FEFF, other category Cf, Hangul fillers), which make two different names look alike
  or a name look empty.
- ``TextKind.PROSE``: note and memory content, descriptions, search queries — anything a person
  writes, right-to-left marks and emoji joiners included.

Both refuse NUL (PostgreSQL cannot store U+0000 in text) and lone surrogates (not encodable as
UTF-8): without this they reach the database driver and fail as an unexplained error.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound

T = TypeVar("T")


class TextKind(StrEnum):
    NAME = "name"
    PROSE = "prose"


BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
    "\u2066\u2067\u2068\u2069"  # isolates (LRI, RLI, FSI, PDI)
    "\u200e\u200f\u061c"  # marks (LRM, RLM, ALM)
)
# Letters (category Lo) that render as nothing at all.
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def _codepoint(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}".strip()


def check_text(value: str, label: str, kind: TextKind = TextKind.NAME) -> str:
    """Return ``value`` unchanged, or raise InvalidInput naming the field and the character."""
    if "\x00" in value:
        raise InvalidInput(
            f"{label} contains a NUL character (U+0000), which cannot be saved. Remove it and try again."
        )
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            raise InvalidInput(f"{label} contains a broken character ({_codepoint(ch)}). Remove it and try again.")
        if kind is TextKind.PROSE:
            continue
        if ch in BIDI_CONTROLS:
            raise InvalidInput(
                f"{label} contains a hidden text-direction character ({_codepoint(ch)}), which can make it "
                "look different from what it is. Remove it."
            )
        if category in ("Cf", "Zl", "Zp") or ch in INVISIBLE_LETTERS:
            raise InvalidInput(f"{label} contains an invisible character ({_codepoint(ch)}). Remove it.")
        if category == "Cc":
            raise InvalidInput(f"{label} cannot contain line breaks, tabs or other control characters.")
    return value


def required_text(value: str, label: str, max_len: int, *, kind: TextKind = TextKind.NAME) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(f"{label} cannot be empty.")
    if len(cleaned) > max_len:
        raise InvalidInput(f"{label} is too long ({len(cleaned)} characters; at most {max_len}).")
    return check_text(cleaned, label, kind)


def optional_text(value: str | None, label: str, max_len: int, *, kind: TextKind = TextKind.NAME) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) > max_len:
        raise InvalidInput(f"{label} is too long ({len(cleaned)} characters; at most {max_len}).")
    return check_text(cleaned, label, kind)


def parse_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    """An id from a URL or an event: a malformed one is simply "not found"."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} not found.") from None


class Problems:
    """Check every field of a form before refusing it, so the user sees all that is wrong at once.

        problems = Problems()
        name = problems.check("name", required_text, raw_name, "Project name", PROJECT_NAME_MAX)
        url = problems.check("github_url", normalise_github_url, raw_url)
        problems.raise_if_any()  # InvalidFields({"name": ..., "github_url": ...})

    ``check`` returns the checked value, or None when that field was refused (use the values only
    after ``raise_if_any``). The keys are the form's field names; pages show each message under
    the field of that name.
    """

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def check(self, field: str, checker: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        try:
            return checker(*args, **kwargs)
        except InvalidInput as exc:
            self.add(field, exc.message)
            return None

    async def check_async(self, field: str, checking: Awaitable[T]) -> T | None:
        """``check`` for a checker that must be awaited (an address look-up, say)."""
        try:
            return await checking
        except InvalidInput as exc:
            self.add(field, exc.message)
            return None

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidFields(self.fields)
