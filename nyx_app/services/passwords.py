"""Password rules and hashing.

Hashing: argon2id (argon2-cffi defaults follow RFC 9106's recommendations).
Strength: length, and guessability as zxcvbn estimates it (common passwords, dictionary words,
keyboard patterns, dates, and the user's own e-mail and name). Score 3 ("safely unguessable:
moderate protection from offline attacks") is the minimum, as zxcvbn's authors suggest.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nyx_app.services.errors import InvalidInput

PASSWORD_MIN = 8
PASSWORD_MAX = 256
MIN_SCORE = 3
# zxcvbn's time grows steeply with length (about 0.5 s of CPU at 256 characters, 50 ms at 100):
# it judges the first 100, which decide a password's strength long before that anyway.
JUDGED_CHARS = 100
# Words anyone guessing a password of this app would try first.
APP_WORDS = ("nyxcore", "nyx")
DEFAULT_HINT = "Add another word or two. Uncommon words are better."

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _words_of(user_inputs: Iterable[str]) -> list[str]:
    """The inputs, run together, and their parts: "Ada Lovelace" gives "ada lovelace",
    "adalovelace", "ada" and "lovelace"."""
    words: list[str] = []
    for value in user_inputs:
        value = (value or "").strip().lower()
        if value:
            words.extend((value, re.sub(r"[\s._-]+", "", value)))
            words.extend(w for w in re.split(r"[\s@._+-]+", value) if len(w) > 2)
    return list(dict.fromkeys([*words, *APP_WORDS]))


def check_password_rules(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Refuse a password that is too short, too long, or too easy to guess; ``user_inputs`` are
    the account's e-mail and name, which a guesser tries first."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"The password needs at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"The password is too long (at most {PASSWORD_MAX} characters).")
    # Imported here: building its frequency lists takes about 1.5 s, paid only by a process that
    # actually checks a password, not by every import of the app.
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:JUDGED_CHARS], user_inputs=_words_of(user_inputs), max_length=JUDGED_CHARS)
    if result["score"] >= MIN_SCORE:
        return
    feedback = result.get("feedback") or {}
    warning = (feedback.get("warning") or "").strip().rstrip(".")
    hints = " ".join(feedback.get("suggestions") or []) or DEFAULT_HINT
    if DEFAULT_HINT not in hints:
        hints = f"{hints} {DEFAULT_HINT}"
    reason = f": {warning[0].lower()}{warning[1:]}." if warning else "."
    raise InvalidInput(f"This password is too easy to guess{reason} {hints}")


# argon2id costs tens of milliseconds of CPU per hash (about a second on a busy 2-core machine). It
# runs in a thread: argon2-cffi releases the GIL, so the event loop keeps serving every other page
# while a login is checked.


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
