"""Memory hub: tenant knowledge entries with tags, optional project, and full-text search.

Search pages in SQL (``LIMIT``/``OFFSET``, with the total counted by the same filter), so a
tenant with thousands of entries never has them all in memory or in a page's state. Matches are
marked by PostgreSQL's ``ts_headline`` with markers made fresh for every search (random, letters
and digits only); the page escapes the whole text and then turns only those markers into
``<mark>`` (``integrations.markdown.highlight``), so nothing an entry contains can become markup.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Select, Uuid, func, literal, literal_column, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.memory import (
    FTS_CONFIG,
    MEMORY_CONTENT_MAX,
    MEMORY_TITLE_MAX,
    TAG_MAX,
    TAGS_MAX,
    MemoryEntry,
    fts_document_sql,
)
from nyx_app.models.project import Project
from nyx_app.models.tenancy import User
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.validation import Problems, TextKind, check_text, optional_text, parse_id, required_text
from nyx_app.settings import get_settings

SEARCH_LIMIT = 100
QUERY_MAX = 500
TOP_TAGS = 30
# ts_headline options: the whole title, and up to two short passages of the content.
_TITLE_OPTIONS = "HighlightAll=true"
_SNIPPET_OPTIONS = 'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'


def parse_tags(raw: str | list[str]) -> list[str]:
    """Comma-separated (or a list) to a clean, de-duplicated, lower-case tag list."""
    items = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    for item in items:
        tag = item.strip().lower()
        if not tag or tag in tags:
            continue
        if len(tag) > TAG_MAX:
            raise InvalidInput(f"The tag {tag[:20]!r}… is too long (at most {TAG_MAX} characters).")
        check_text(tag, "A tag")
        tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise InvalidInput(f"At most {TAGS_MAX} tags per entry.")
    return tags


async def _project_id(session: AsyncSession, ctx: TenantContext, project_id: str | None) -> uuid.UUID | None:
    if not project_id:
        return None
    return (await get_project(session, ctx, project_id)).id


async def _checked(
    session: AsyncSession,
    ctx: TenantContext,
    title: str,
    content: str,
    tags: str | list[str],
    project_id: str | None,
) -> dict[str, Any]:
    """Every field checked; all problems reported together (InvalidFields)."""
    problems = Problems()
    fields: dict[str, Any] = {
        "title": problems.check("title", required_text, title, "Title", MEMORY_TITLE_MAX),
        "content": problems.check(
            "content", optional_text, content, "Content", MEMORY_CONTENT_MAX, kind=TextKind.PROSE
        ),
        "tags": problems.check("tags", parse_tags, tags),
    }
    problems.raise_if_any()
    # Another tenant's project (or a deleted one) answers NotFound like everywhere else.
    fields["project_id"] = await _project_id(session, ctx, project_id)
    return fields


async def create_entry(
    session: AsyncSession,
    ctx: TenantContext,
    *,
    title: str,
    content: str,
    tags: str | list[str] = "",
    project_id: str | None = None,
) -> MemoryEntry:
    require(ctx, Action.MEMORY_CREATE)
    fields = await _checked(session, ctx, title, content, tags, project_id)
    entry = MemoryEntry(tenant_id=ctx.tenant_id, created_by=ctx.user_id, **fields)
    session.add(entry)
    await session.flush()
    return entry


async def get_entry(session: AsyncSession, ctx: TenantContext, entry_id: str | uuid.UUID) -> MemoryEntry:
    entry = await session.get(MemoryEntry, parse_id(entry_id, "Memory entry"))
    if entry is None:
        raise NotFound("Memory entry not found.")
    return entry


async def update_entry(
    session: AsyncSession,
    ctx: TenantContext,
    entry_id: str | uuid.UUID,
    *,
    title: str,
    content: str,
    tags: str | list[str],
    project_id: str | None,
) -> MemoryEntry:
    require(ctx, Action.MEMORY_EDIT)
    entry = await get_entry(session, ctx, entry_id)
    for name, value in (await _checked(session, ctx, title, content, tags, project_id)).items():
        setattr(entry, name, value)
    entry.updated_at = utcnow()
    session.add(entry)
    await session.flush()
    return entry


async def delete_entry(session: AsyncSession, ctx: TenantContext, entry_id: str | uuid.UUID) -> None:
    entry = await get_entry(session, ctx, entry_id)
    require(ctx, Action.MEMORY_DELETE, author_id=entry.created_by)
    await session.delete(entry)
    await session.flush()


async def search(
    session: AsyncSession, ctx: TenantContext, query: str = "", project_id: str | None = None
) -> list[MemoryEntry]:
    """The first ``SEARCH_LIMIT`` entries of ``search_page``: best matches first, newest first
    without a query."""
    found = await search_page(session, ctx, query, project_id=project_id, limit=SEARCH_LIMIT)
    return [hit.entry for hit in found.hits]


@dataclass(frozen=True, slots=True)
class Marks:
    """The markers ``ts_headline`` put around matches in one search (letters and digits only)."""

    start: str
    stop: str

    @classmethod
    def fresh(cls) -> Marks:
        nonce = secrets.token_hex(8)
        return cls(f"hl{nonce}s", f"hl{nonce}e")


@dataclass(frozen=True, slots=True)
class Hit:
    entry: MemoryEntry
    author: str
    project_name: str
    title_marked: str  # the title, matches between the markers (plain title without a query)
    snippet_marked: str  # passages of the content around matches; "" without a query


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[Hit]
    total: int  # all entries matching, not only this page
    offset: int
    marks: Marks | None  # None: no query, nothing is marked

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str
    count: int


@dataclass(frozen=True, slots=True)
class HubView:
    """Everything the memory hub page shows, read in one transaction."""

    projects: list[tuple[uuid.UUID, str]]
    tags: list[TagCount]
    results: SearchPage


def _filtered(
    stmt: Select[Any], query: str, tag: str, project: uuid.UUID | None, ranked: Sequence[uuid.UUID] = ()
) -> Select[Any]:
    if project is not None:
        stmt = stmt.where(col(MemoryEntry.project_id) == project)
    if tag:
        stmt = stmt.where(literal(tag) == func.any(col(MemoryEntry.tags)))
    if query:
        document: ColumnElement[Any] = literal_column(fts_document_sql())
        tag_match = literal(query.lower()) == func.any(col(MemoryEntry.tags))
        if ranked:  # nothing matched by words: the hybrid search's meaning matches are the matches
            stmt = stmt.where(col(MemoryEntry.id).in_(list(ranked)))
        else:
            stmt = stmt.where(or_(document.op("@@")(_tsquery(query)), tag_match))
    return stmt


def _tsquery(query: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(literal_column(f"'{FTS_CONFIG}'::regconfig"), query)


def _headline(text: Any, query: str, marks: Marks, options: str) -> ColumnElement[str]:
    return func.ts_headline(
        literal_column(f"'{FTS_CONFIG}'::regconfig"),
        text,
        _tsquery(query),
        f"StartSel={marks.start}, StopSel={marks.stop}, {options}",
    )


async def search_page(
    session: AsyncSession,
    ctx: TenantContext,
    query: str = "",
    *,
    tag: str = "",
    project_id: str | None = None,
    offset: int = 0,
    limit: int | None = None,
    ranked: Sequence[uuid.UUID] = (),
) -> SearchPage:
    """One page of entries matching ``query`` (websearch syntax over title and content, or an exact
    tag) and the chosen ``tag``, best matches first (newest first without a query), with the total
    count, authors, project names and, for a query, marked titles and passages.

    ``ranked``: the entries hybrid search found for ``query`` (services/knowledge), best first: the
    matches are ordered by that ranking, and when no entry matches by its words they are the
    matches (by meaning). The hub stays a filter that counts what it finds."""
    query = optional_text(query, "The search", QUERY_MAX, kind=TextKind.PROSE)
    tag = tag.strip().lower()
    project = await _project_id(session, ctx, project_id)
    limit = get_settings().memory_page_size if limit is None else limit
    offset, limit = max(0, offset), max(1, min(limit, SEARCH_LIMIT))
    counted = _filtered(sa_select(func.count()).select_from(MemoryEntry), query, tag, project)
    total = (await session.execute(counted)).scalar_one()
    meaning_only = list(ranked) if query and ranked and not total else []
    if meaning_only:
        counted = _filtered(sa_select(func.count()).select_from(MemoryEntry), query, tag, project, meaning_only)
        total = (await session.execute(counted)).scalar_one()
    marks = Marks.fresh() if query else None
    title: Any = col(MemoryEntry.title)
    snippet: Any = literal("")
    if marks is not None:
        title = _headline(col(MemoryEntry.title), query, marks, _TITLE_OPTIONS)
        snippet = _headline(col(MemoryEntry.content), query, marks, _SNIPPET_OPTIONS)
    stmt = (
        sa_select(MemoryEntry, func.coalesce(User.name, ""), func.coalesce(Project.name, ""), title, snippet)
        .outerjoin(User, col(User.id) == col(MemoryEntry.created_by))
        .outerjoin(Project, col(Project.id) == col(MemoryEntry.project_id))
    )
    stmt = _filtered(stmt, query, tag, project, meaning_only)
    if query:
        document: ColumnElement[Any] = literal_column(fts_document_sql())
        if ranked:
            stmt = stmt.order_by(func.array_position(literal(list(ranked), ARRAY(Uuid())), col(MemoryEntry.id)))
        stmt = stmt.order_by(func.ts_rank(document, _tsquery(query)).desc())
    stmt = stmt.order_by(col(MemoryEntry.updated_at).desc(), col(MemoryEntry.id)).offset(offset).limit(limit)
    rows = await session.execute(stmt)
    hits = [Hit(e, author, pname, t, snip) for e, author, pname, t, snip in rows.tuples()]
    return SearchPage(hits, int(total), offset, marks)


async def top_tags(session: AsyncSession, ctx: TenantContext, limit: int = TOP_TAGS) -> list[TagCount]:
    """The tenant's most used tags, for the chips that filter the hub."""
    tag = func.unnest(col(MemoryEntry.tags)).table_valued("tag").render_derived(name="t")
    stmt = (
        sa_select(tag.c.tag, func.count())
        .select_from(MemoryEntry)
        .join(tag, literal(True))
        .group_by(tag.c.tag)
        .order_by(func.count().desc(), tag.c.tag)
        .limit(limit)
    )
    return [TagCount(t, n) for t, n in (await session.execute(stmt)).tuples()]


async def hub(
    session: AsyncSession,
    ctx: TenantContext,
    query: str = "",
    *,
    tag: str = "",
    offset: int = 0,
    limit: int | None = None,
    ranked: Sequence[uuid.UUID] = (),
) -> HubView:
    projects = (await session.exec(select(Project.id, Project.name).order_by(col(Project.name)))).all()
    return HubView(
        projects=[(i, n) for i, n in projects],
        tags=await top_tags(session, ctx),
        results=await search_page(session, ctx, query, tag=tag, offset=offset, limit=limit, ranked=ranked),
    )


async def entry_hit(session: AsyncSession, ctx: TenantContext, entry_id: str | uuid.UUID) -> Hit:
    """One entry as the hub shows it (a link from a search hit, ``/memory?entry=<id>``)."""
    entry = await get_entry(session, ctx, entry_id)
    author = (
        (await session.exec(select(User.name).where(User.id == entry.created_by))).first() if entry.created_by else None
    )
    project = (
        (await session.exec(select(Project.name).where(Project.id == entry.project_id))).first()
        if entry.project_id
        else None
    )
    return Hit(entry, author or "", project or "", entry.title, "")
