"""Small input checks shared by services; each failure is an InvalidInput the user can act on."""

from __future__ import annotations

import uuid

from nyx_app.services.errors import InvalidInput, NotFound


def required_text(value: str, label: str, max_len: int) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(f"{label} cannot be empty.")
    if len(cleaned) > max_len:
        raise InvalidInput(f"{label} is too long ({len(cleaned)} characters; at most {max_len}).")
    return cleaned


def optional_text(value: str | None, label: str, max_len: int) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) > max_len:
        raise InvalidInput(f"{label} is too long ({len(cleaned)} characters; at most {max_len}).")
    return cleaned


def parse_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    """An id from a URL or an event: a malformed one is simply "not found"."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} not found.") from None
