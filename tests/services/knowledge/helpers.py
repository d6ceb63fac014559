"""Shared steps of the knowledge tests: notes and entries made through the services, the
embedding job run as the worker runs it."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.services import memory, notes, projects
from nyx_app.services.knowledge.indexer import Progress, embed_pending
from tests.factories import Account


async def project_with_notes(a: Account, *notes_: tuple[str, str], name: str = "Platform") -> tuple[uuid.UUID, list]:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, name)
        made = [await notes.create_note(s, a.ctx, project.id, title, body) for title, body in notes_]
    return project.id, made


async def memory_entry(a: Account, title: str, content: str, project_id: uuid.UUID | None = None) -> uuid.UUID:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        entry = await memory.create_entry(
            s, a.ctx, title=title, content=content, project_id=str(project_id) if project_id else None
        )
    return entry.id


async def embed_all(a: Account) -> Progress:
    """What the worker's job does for this tenant, run here to its end."""
    return await embed_pending(a.ctx.tenant_id)


async def queued_embedding_jobs(a: Account) -> int:
    async with transaction(a.ctx.tenant_id) as s:
        found = await s.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'nyx.knowledge.embed' "
                "AND status = 'todo' AND args->>'tenant_id' = :t"
            ),
            {"t": str(a.ctx.tenant_id)},
        )
        return int(found.scalar_one())
