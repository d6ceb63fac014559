"""Cursor pagination for the API: newest first by (created_at, id), a page after an opaque cursor.

A cursor is the last row's (created_at, id) in URL-safe base64; rows added meanwhile never shift a
page (unlike offsets). A cursor that does not decode is refused in words, not guessed at.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_

from nyx_app.services.errors import InvalidInput

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, row_id = raw.partition("|")
        return datetime.fromisoformat(when), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The cursor is not one this API gave out. Start again without it.") from None


def after(stmt: Select[Any], created: Any, row_id: Any, cursor: str | None, limit: int) -> Select[Any]:
    """``stmt`` ordered newest first, after ``cursor``, one row more than ``limit`` (to know if there
    is a next page)."""
    if cursor:
        when, last_id = decode(cursor)
        older: ColumnElement[bool] = or_(created < when, and_(created == when, row_id < last_id))
        stmt = stmt.where(older)
    return stmt.order_by(created.desc(), row_id.desc()).limit(limit + 1)


def page_of(rows: list[T], limit: int, key: Any) -> Page[T]:
    """The page and the cursor for the next one; ``key(row)`` gives (created_at, id)."""
    if len(rows) <= limit:
        return Page(rows, None)
    kept = rows[:limit]
    return Page(kept, encode(*key(kept[-1])))
