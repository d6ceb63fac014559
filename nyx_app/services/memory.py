"""Memory hub: tenant knowledge entries with tags, optional project, and full-text search."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, func, literal, literal_column, or_
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
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.validation import TextKind, check_text, optional_text, parse_id, required_text

SEARCH_LIMIT = 100
QUERY_MAX = 500


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
    entry = MemoryEntry(
        tenant_id=ctx.tenant_id,
        title=required_text(title, "Title", MEMORY_TITLE_MAX),
        content=optional_text(content, "Content", MEMORY_CONTENT_MAX, kind=TextKind.PROSE),
        tags=parse_tags(tags),
        project_id=await _project_id(session, ctx, project_id),
        created_by=ctx.user_id,
    )
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
    entry.title = required_text(title, "Title", MEMORY_TITLE_MAX)
    entry.content = optional_text(content, "Content", MEMORY_CONTENT_MAX, kind=TextKind.PROSE)
    entry.tags = parse_tags(tags)
    entry.project_id = await _project_id(session, ctx, project_id)
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
    """Full-text search (PostgreSQL websearch syntax) over title and content, or an exact tag;
    best matches first. An empty query lists the newest entries."""
    query = optional_text(query, "The search", QUERY_MAX, kind=TextKind.PROSE)
    stmt = select(MemoryEntry)
    if project_id:
        stmt = stmt.where(MemoryEntry.project_id == await _project_id(session, ctx, project_id))
    if query:
        document: ColumnElement[Any] = literal_column(fts_document_sql())
        tsquery = func.websearch_to_tsquery(literal_column(f"'{FTS_CONFIG}'::regconfig"), query)
        tag_match = literal(query.lower()) == func.any(col(MemoryEntry.tags))
        stmt = stmt.where(or_(document.op("@@")(tsquery), tag_match))
        stmt = stmt.order_by(func.ts_rank(document, tsquery).desc(), col(MemoryEntry.updated_at).desc())
    else:
        stmt = stmt.order_by(col(MemoryEntry.updated_at).desc())
    return list(await session.exec(stmt.limit(SEARCH_LIMIT)))
