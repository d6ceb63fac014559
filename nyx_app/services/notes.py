"""Markdown notes of a project. Saves carry the version they were based on: a stale save is a
conflict the user sees, never a silent overwrite of another tab's work.

A project's notes are listed a page at a time as small cards (``list_cards``): searched, sorted and
paged in SQL, so a page never holds more than it shows.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, delete, func, literal_column, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.integrations import markdown
from nyx_app.models.note_draft import NoteDraft
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import NOTE_CONTENT_MAX, NOTE_SEARCH_CONFIG, NOTE_TITLE_MAX, ProjectNote
from nyx_app.models.tenancy import User
from nyx_app.services import audit, note_images
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.validation import TextKind, check_text, optional_text, parse_id, required_text

CONFLICT_MESSAGE = (
    "This note was changed elsewhere (another tab or person) since you opened it. "
    "Your text is still in the editor: copy it, reload the note, and apply your change again."
)


PAGE_SIZE = 24
PAGE_SIZE_MAX = 100
QUERY_MAX = 200
SEARCH_TERMS_MAX = 8
EXCERPT_CHARS = 220
# An excerpt is made from the note's beginning only (PostgreSQL reads no more of a long note).
EXCERPT_SOURCE_CHARS = 1200
_WORD = re.compile(r"\w+")


class NoteSort(StrEnum):
    UPDATED = "updated"  # last changed first
    CREATED = "created"  # newest first
    TITLE = "title"  # A to Z


@dataclass(frozen=True, slots=True)
class NoteQuery:
    text: str = ""
    sort: NoteSort = NoteSort.UPDATED
    offset: int = 0
    limit: int = PAGE_SIZE
    # Notes that hybrid search found for ``text`` (services/knowledge): they are the matches when
    # no note matches by its words (the list stays a filter: "deploy part 35" still means that note).
    ranked: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class NoteCard:
    """A note as the project's list shows it: no Markdown, no HTML, one thumbnail."""

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    excerpt: str
    image_count: int
    first_image_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    author: str


@dataclass(frozen=True, slots=True)
class NoteListing:
    cards: list[NoteCard]
    total: int  # notes matching the query, on every page
    query: NoteQuery

    @property
    def has_more(self) -> bool:
        return self.query.offset + len(self.cards) < self.total


@dataclass(frozen=True, slots=True)
class NoteDetail:
    """A note for its own page."""

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    content: str
    version: int
    created_by: uuid.UUID | None
    updated_at: datetime
    public: bool = False

    @classmethod
    def of(cls, n: ProjectNote) -> NoteDetail:
        return cls(n.id, n.project_id, n.title, n.content, n.version, n.created_by, n.updated_at, n.public)


def search_terms(text: str) -> str:
    """A tsquery for what was typed: every word, as the beginning of a word ("dep" finds
    "deploy"), all of them required. Only letters, digits and "_" reach the query syntax."""
    words = _WORD.findall(text.lower())[:SEARCH_TERMS_MAX]
    return " & ".join(f"{word}:*" for word in words)


def _order(sort: NoteSort) -> list[ColumnElement[Any]]:
    if sort is NoteSort.CREATED:
        return [col(ProjectNote.created_at).desc(), col(ProjectNote.id).desc()]
    if sort is NoteSort.TITLE:
        return [func.lower(ProjectNote.title), col(ProjectNote.id).asc()]
    return [col(ProjectNote.updated_at).desc(), col(ProjectNote.id).desc()]


def _content(content: str) -> str:
    if len(content or "") > NOTE_CONTENT_MAX:
        raise InvalidInput(f"The note is too long (at most {NOTE_CONTENT_MAX} characters).")
    return check_text(content or "", "The note", TextKind.PROSE)


async def list_cards(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, query: NoteQuery = NoteQuery()
) -> NoteListing:
    """One page of a project's notes, matching ``query.text`` (full text, see ``search_terms``).

    Two steps in one statement: the page's ids (and the number of matches) are found first, then
    only those notes are read with their image count, first image and author.
    """
    project = await get_project(session, ctx, project_id)
    text = optional_text(query.text, "The search", QUERY_MAX, kind=TextKind.PROSE)
    query = NoteQuery(
        text, NoteSort(query.sort), max(0, query.offset), max(1, min(query.limit, PAGE_SIZE_MAX)), query.ranked
    )
    matches = _matches(project.id, text)
    if query.ranked and text and not (await session.exec(select(func.count()).where(*matches))).one():
        matches = [col(ProjectNote.project_id) == project.id, col(ProjectNote.id).in_(query.ranked)]
    page = (
        sa.select(col(ProjectNote.id).label("id"), func.count().over().label("total"))
        .where(*matches)
        .order_by(*_order(query.sort))
        .offset(query.offset)
        .limit(query.limit)
        .subquery()
    )

    images = select(func.count()).where(col(NoteImage.note_id) == col(ProjectNote.id)).scalar_subquery()
    first = (
        select(NoteImage.id)
        .where(col(NoteImage.note_id) == col(ProjectNote.id))
        .order_by(col(NoteImage.sort_order), col(NoteImage.created_at), col(NoteImage.id))
        .limit(1)
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(
            col(ProjectNote.id),
            col(ProjectNote.title),
            func.left(ProjectNote.content, EXCERPT_SOURCE_CHARS),
            col(ProjectNote.created_at),
            col(ProjectNote.updated_at),
            col(User.name),
            images,
            first,
            page.c.total,
        )
        .join(page, page.c.id == col(ProjectNote.id))
        .outerjoin(User, col(User.id) == col(ProjectNote.created_by))
        .order_by(*_order(query.sort))
    )
    cards, total = [], 0
    for note_id, title, head, created, updated, author, count, first_image, matches_total in rows:
        total = matches_total
        excerpt = markdown.plain_text(head, EXCERPT_CHARS)
        cards.append(NoteCard(note_id, project.id, title, excerpt, count, first_image, created, updated, author or ""))
    if not cards and query.offset:  # paged past the end: the count still says how many there are
        total = (await session.exec(select(func.count()).select_from(ProjectNote).where(*matches))).one()
    return NoteListing(cards, total, query)


def _matches(project_id: uuid.UUID, text: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(ProjectNote.project_id) == project_id]
    if terms := search_terms(text):
        document = ProjectNote.__table__.c.search_vector  # type: ignore[attr-defined]
        config: ColumnElement[Any] = literal_column(f"'{NOTE_SEARCH_CONFIG}'::regconfig")
        conditions.append(document.op("@@")(func.to_tsquery(config, terms)))
    return conditions


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
    # Saved: this user's draft of the note has done its work (a conflict above keeps it).
    await session.execute(delete(NoteDraft).where(col(NoteDraft.note_id) == nid, col(NoteDraft.user_id) == ctx.user_id))
    note = await get_note(session, ctx, nid)
    await session.refresh(note)
    return note


async def delete_note(
    session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID, *, keep_files: bool = False
) -> ProjectNote:
    """Image rows go by cascade; their stored files are removed once the delete has committed
    (unless ``keep_files``: the trash keeps them for a restore)."""
    note = await get_note(session, ctx, note_id)
    require(ctx, Action.NOTE_DELETE, author_id=note.created_by)
    if not keep_files:
        await note_images.remove_objects_of(session, note_id=note.id)
    await session.delete(note)
    await session.flush()
    return note


async def set_public(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID, public: bool) -> ProjectNote:
    """Show the note on its project's public page (while the project is published), or stop."""
    require(ctx, Action.NOTE_PUBLISH)
    note = await get_note(session, ctx, note_id)
    if note.public != public:
        action = audit.AuditAction.NOTE_PUBLISHED if public else audit.AuditAction.NOTE_UNPUBLISHED
        await audit.record(session, ctx, action, object_type="note", object_id=note.id, object_label=note.title)
    note.public = public
    session.add(note)
    await session.flush()
    return note
