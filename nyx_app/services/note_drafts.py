"""Drafts: what a user typed into a note's editor and has not saved, kept on the server.

Why on the server and not in the browser's localStorage: the text survives a crash or a reload
as well, and also reaches the user's other browsers; it never stays behind on a shared computer
after logging out (localStorage is readable by any later script of the origin and outlives the
session); and the editor sends its text to the server anyway for the live preview, so the draft
costs one small upsert per pause in typing and no second channel.

One draft per user and note. It remembers the note version it was written on: a draft older than
the note is offered to the user, never put in place of the saved text on its own. A successful
save removes it (``notes.save_note``); a refused save (conflict) keeps it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.note_draft import NoteDraft
from nyx_app.models.project import NOTE_CONTENT_MAX, NOTE_TITLE_MAX
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.notes import get_note
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import TextKind, check_text


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    content: str
    base_version: int
    updated_at: datetime


def _draft(row: NoteDraft) -> Draft:
    return Draft(row.title, row.content, row.base_version, row.updated_at)


async def get_draft(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> Draft | None:
    note = await get_note(session, ctx, note_id)
    row = (
        await session.exec(select(NoteDraft).where(NoteDraft.note_id == note.id, NoteDraft.user_id == ctx.user_id))
    ).first()
    return _draft(row) if row is not None else None


async def save_draft(
    session: AsyncSession,
    ctx: TenantContext,
    note_id: str | uuid.UUID,
    *,
    title: str,
    content: str,
    base_version: int,
) -> Draft:
    """Keep what the editor holds. Checked only as far as storing it needs (length, NUL, broken
    characters): the full rules apply when the note is saved, not to half-typed text."""
    require(ctx, Action.NOTE_EDIT)
    note = await get_note(session, ctx, note_id)
    title, content = title or "", content or ""
    if len(title) > NOTE_TITLE_MAX:
        raise InvalidInput(f"Note title is too long ({len(title)} characters; at most {NOTE_TITLE_MAX}).")
    if len(content) > NOTE_CONTENT_MAX:
        raise InvalidInput(f"The note is too long (at most {NOTE_CONTENT_MAX} characters).")
    check_text(title, "Note title", TextKind.PROSE)
    check_text(content, "The note", TextKind.PROSE)
    now = utcnow()
    values = {"title": title, "content": content, "base_version": base_version, "updated_at": now}
    stmt = (
        insert(NoteDraft)
        .values(id=uuid.uuid4(), tenant_id=ctx.tenant_id, note_id=note.id, user_id=ctx.user_id, **values)
        .on_conflict_do_update(constraint="uq_note_draft_note_user", set_=values)
    )
    await session.execute(stmt)
    return Draft(title, content, base_version, now)


async def discard_draft(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> None:
    note = await get_note(session, ctx, note_id)
    await session.execute(
        delete(NoteDraft).where(col(NoteDraft.note_id) == note.id, col(NoteDraft.user_id) == ctx.user_id)
    )
