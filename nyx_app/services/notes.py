"""Markdown notes of a project. Saves carry the version they were based on: a stale save is a
conflict the user sees, never a silent overwrite of another tab's work."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.project import NOTE_CONTENT_MAX, NOTE_TITLE_MAX, ProjectNote
from nyx_app.services import note_images
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.validation import TextKind, check_text, parse_id, required_text

CONFLICT_MESSAGE = (
    "This note was changed elsewhere (another tab or person) since you opened it. "
    "Your text is still in the editor: copy it, reload the note, and apply your change again."
)


def _content(content: str) -> str:
    if len(content or "") > NOTE_CONTENT_MAX:
        raise InvalidInput(f"The note is too long (at most {NOTE_CONTENT_MAX} characters).")
    return check_text(content or "", "The note", TextKind.PROSE)


async def list_notes(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> list[ProjectNote]:
    project = await get_project(session, ctx, project_id)
    rows = await session.exec(
        select(ProjectNote).where(ProjectNote.project_id == project.id).order_by(col(ProjectNote.created_at))
    )
    return list(rows)


async def get_note(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> ProjectNote:
    note = await session.get(ProjectNote, parse_id(note_id, "Note"))
    if note is None:
        raise NotFound("Note not found.")
    return note


async def create_note(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, title: str, content: str = ""
) -> ProjectNote:
    require(ctx, Action.NOTE_CREATE)
    project = await get_project(session, ctx, project_id)
    note = ProjectNote(
        tenant_id=ctx.tenant_id,
        project_id=project.id,
        title=required_text(title, "Note title", NOTE_TITLE_MAX),
        content=_content(content),
        created_by=ctx.user_id,
    )
    session.add(note)
    await session.flush()
    return note


async def save_note(
    session: AsyncSession,
    ctx: TenantContext,
    note_id: str | uuid.UUID,
    *,
    title: str,
    content: str,
    base_version: int,
) -> ProjectNote:
    """Compare-and-set on version, in one UPDATE, so two concurrent saves cannot both win."""
    require(ctx, Action.NOTE_EDIT)
    nid = parse_id(note_id, "Note")
    result = await session.execute(
        update(ProjectNote)
        .where(col(ProjectNote.id) == nid, col(ProjectNote.version) == base_version)
        .values(
            title=required_text(title, "Note title", NOTE_TITLE_MAX),
            content=_content(content),
            version=ProjectNote.version + 1,
            updated_at=utcnow(),
        )
        .returning(col(ProjectNote.version))
    )
    if result.first() is None:
        await get_note(session, ctx, nid)  # raises NotFound if it is gone (or another tenant's)
        raise Conflict(CONFLICT_MESSAGE)
    note = await get_note(session, ctx, nid)
    await session.refresh(note)
    return note


async def delete_note(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> ProjectNote:
    """Image rows go by cascade; their stored files are removed once the delete has committed."""
    note = await get_note(session, ctx, note_id)
    require(ctx, Action.NOTE_DELETE, author_id=note.created_by)
    await note_images.remove_objects_of(session, note_id=note.id)
    await session.delete(note)
    await session.flush()
    return note


async def set_public(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID, public: bool) -> ProjectNote:
    """Show the note on its project's public page (while the project is published), or stop."""
    require(ctx, Action.NOTE_PUBLISH)
    note = await get_note(session, ctx, note_id)
    note.public = public
    session.add(note)
    await session.flush()
    return note
