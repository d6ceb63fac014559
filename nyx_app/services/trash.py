"""Deleting into the workspace's trash, restoring from it, emptying it, and the purge after 30 days.

A delete goes through the kind's own delete service (so its permission check and what it does to
related rows stay in one place: a workflow's runs, a report's public link), told to keep the stored
files; the rows it removes are captured first and kept as JSON in a ``trash_item``. Restoring puts
the same rows back with the same ids, so links to them work again. What cannot come back says so:
an image whose note is gone, anything whose project was deleted. A report comes back unpublished.

Files stay in storage while their item is in the trash (the orphan sweep counts them as used); they
are removed when the item is emptied or purged, after the transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.memory import MemoryEntry
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.report import Report
from nyx_app.models.tenancy import Tenant, User
from nyx_app.models.trash import TRASH_DAYS, TRASH_TITLE_MAX, TrashItem, TrashKind
from nyx_app.models.workflow import Workflow
from nyx_app.services import memory, note_images, notes
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.reports import store as reports
from nyx_app.services.validation import parse_id
from nyx_app.services.workflows import store as workflows

TABLES: dict[str, type[SQLModel]] = {
    "project_note": ProjectNote,
    "note_image": NoteImage,
    "memory_entry": MemoryEntry,
    "workflow": Workflow,
    "report": Report,
}
RESTORE_ACTION = {
    TrashKind.NOTE: Action.NOTE_CREATE,
    TrashKind.MEMORY: Action.MEMORY_CREATE,
    TrashKind.IMAGE: Action.IMAGE_UPLOAD,
    TrashKind.WORKFLOW: Action.WORKFLOW_EDIT,
    TrashKind.REPORT: Action.REPORT_GENERATE,
}
KIND_LABELS = {
    TrashKind.NOTE: "Note",
    TrashKind.MEMORY: "Memory entry",
    TrashKind.IMAGE: "Image",
    TrashKind.WORKFLOW: "Workflow",
    TrashKind.REPORT: "Report",
}


@dataclass(frozen=True, slots=True)
class TrashView:
    id: str
    kind: TrashKind
    title: str
    where: str
    deleted_by: str
    deleted_at: datetime
    purge_at: datetime


def _row(table: str, model: SQLModel) -> list[Any]:
    return [table, model.model_dump(mode="json")]


def _keys(images: Sequence[NoteImage]) -> list[str]:
    return [k for i in images for k in (i.image_key, i.thumb_key) if k]


async def _project_name(session: AsyncSession, project_id: uuid.UUID | None) -> str:
    if project_id is None:
        return ""
    return (await session.exec(select(Project.name).where(Project.id == project_id))).first() or ""


async def _keep(
    session: AsyncSession,
    ctx: TenantContext,
    kind: TrashKind,
    item_id: uuid.UUID,
    title: str,
    rows: list[list[Any]],
    *,
    project_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    where: str = "",
    file_keys: Sequence[str] = (),
) -> TrashItem:
    item = TrashItem(
        tenant_id=ctx.tenant_id,
        kind=kind.value,
        item_id=item_id,
        project_id=project_id,
        parent_id=parent_id,
        title=(title or KIND_LABELS[kind])[:TRASH_TITLE_MAX],
        location=where[:TRASH_TITLE_MAX],
        payload={"rows": rows},
        file_keys=list(file_keys),
        deleted_by=ctx.user_id,
    )
    session.add(item)
    await session.flush()
    return item


async def trash_note(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> TrashItem:
    note = await notes.get_note(session, ctx, note_id)
    images = list(await session.exec(select(NoteImage).where(NoteImage.note_id == note.id)))
    rows = [_row("project_note", note), *(_row("note_image", i) for i in images)]
    where = await _project_name(session, note.project_id)
    await notes.delete_note(session, ctx, note.id, keep_files=True)
    return await _keep(
        session, ctx, TrashKind.NOTE, note.id, note.title, rows, project_id=note.project_id, where=where,
        file_keys=_keys(images),
    )  # fmt: skip


async def trash_memory(session: AsyncSession, ctx: TenantContext, entry_id: str | uuid.UUID) -> TrashItem:
    entry = await memory.get_entry(session, ctx, entry_id)
    images = list(await session.exec(select(NoteImage).where(NoteImage.memory_id == entry.id)))
    rows = [_row("memory_entry", entry), *(_row("note_image", i) for i in images)]
    project_id = entry.project_id
    where = await _project_name(session, project_id) if project_id else "Memory Hub"
    await memory.delete_entry(session, ctx, entry.id)
    return await _keep(
        session, ctx, TrashKind.MEMORY, entry.id, entry.title, rows, project_id=project_id, where=where,
        file_keys=_keys(images),
    )  # fmt: skip


async def trash_image(session: AsyncSession, ctx: TenantContext, image_id: str | uuid.UUID) -> TrashItem:
    image = await note_images.get_image(session, ctx, image_id)
    note = await session.get(ProjectNote, image.note_id)
    rows = [_row("note_image", image)]
    note_title = note.title if note else ""
    where = " · ".join(p for p in (await _project_name(session, note.project_id if note else None), note_title) if p)
    await note_images.remove_image(session, ctx, image.id, keep_files=True)
    title = image.description or f"Image of “{note_title}”"
    return await _keep(
        session, ctx, TrashKind.IMAGE, image.id, title, rows, project_id=note.project_id if note else None,
        parent_id=image.note_id, where=where, file_keys=_keys([image]),
    )  # fmt: skip


async def trash_workflow(session: AsyncSession, ctx: TenantContext, workflow_id: str | uuid.UUID) -> TrashItem:
    """The workflow goes the way a delete goes (its runs stay in the history, each with its steps)."""
    workflow = await workflows.get_workflow(session, ctx, workflow_id)
    rows = [_row("workflow", workflow)]
    where = await _project_name(session, workflow.project_id)
    await workflows.delete_workflow(session, ctx, workflow.id)
    return await _keep(
        session, ctx, TrashKind.WORKFLOW, workflow.id, workflow.name, rows, project_id=workflow.project_id,
        where=where,
    )  # fmt: skip


async def trash_report(session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID) -> TrashItem:
    """Its public link goes (a restored report is not published); its PDF file stays for a restore."""
    report = await reports.get_report(session, ctx, report_id)
    data = report.model_dump(mode="json") | {"published": False, "public_id": None}
    rows = [["report", data]]
    where = await _project_name(session, report.project_id)
    await reports.delete_report(session, ctx, report.id, keep_file=True)
    return await _keep(
        session, ctx, TrashKind.REPORT, report.id, report.title, rows, project_id=report.project_id, where=where,
        file_keys=[report.pdf_key] if report.pdf_key else [],
    )  # fmt: skip


async def _item(session: AsyncSession, item_id: str | uuid.UUID) -> TrashItem:
    item = await session.get(TrashItem, parse_id(item_id, "Item"))
    if item is None:
        raise NotFound("That item is no longer in the trash.")
    return item


async def _check_parents(session: AsyncSession, item: TrashItem) -> None:
    if item.project_id is not None and await session.get(Project, item.project_id) is None:
        raise Conflict("Its project was deleted, so it cannot be put back.")
    if item.kind == TrashKind.IMAGE and await session.get(ProjectNote, item.parent_id) is None:
        raise Conflict("Its note is no longer there (restore the note first), so the image cannot be put back.")


async def _free_workflow_name(session: AsyncSession, data: dict[str, Any]) -> None:
    taken = set(await session.exec(select(Workflow.name).where(Workflow.project_id == uuid.UUID(data["project_id"]))))
    name, n = data["name"], 2
    while name in taken:
        name, n = f"{data['name']} ({n})", n + 1
    data["name"] = name


async def restore(session: AsyncSession, ctx: TenantContext, item_id: str | uuid.UUID) -> TrashItem:
    """Put the item's rows back as they were (same ids); the trash entry goes."""
    item = await _item(session, item_id)
    kind = TrashKind(item.kind)
    require(ctx, RESTORE_ACTION[kind])
    await _check_parents(session, item)
    for table, data in item.payload.get("rows", []):
        values = {**data, "tenant_id": str(ctx.tenant_id)}
        if table == "workflow":
            await _free_workflow_name(session, values)
        if table == "note_image" and kind == TrashKind.IMAGE:
            values["sort_order"] = await note_images.next_sort_order(session, ctx, values["note_id"])
        session.add(TABLES[table].model_validate(values))
        await session.flush()
    await session.delete(item)
    await session.flush()
    return item


async def list_trash(session: AsyncSession, ctx: TenantContext) -> list[TrashView]:
    rows = await session.exec(
        select(TrashItem, User.name)
        .outerjoin(User, col(User.id) == col(TrashItem.deleted_by))
        .order_by(col(TrashItem.deleted_at).desc())
    )
    keep = timedelta(days=TRASH_DAYS)
    return [
        TrashView(
            str(t.id), TrashKind(t.kind), t.title, t.location, who or "someone", t.deleted_at, t.deleted_at + keep
        )
        for t, who in rows
    ]


async def _remove(session: AsyncSession, items: Sequence[TrashItem]) -> int:
    keys = [k for i in items for k in i.file_keys]
    if items:
        await session.execute(delete(TrashItem).where(col(TrashItem.id).in_([i.id for i in items])))
        await session.flush()
    note_images.remove_objects_after_commit(session, keys)
    return len(items)


async def delete_forever(session: AsyncSession, ctx: TenantContext, item_id: str | uuid.UUID) -> None:
    require(ctx, Action.TRASH_EMPTY)
    await _remove(session, [await _item(session, item_id)])


async def empty(session: AsyncSession, ctx: TenantContext) -> int:
    """Everything in the workspace's trash, gone now (files after the commit)."""
    require(ctx, Action.TRASH_EMPTY)
    return await _remove(session, list(await session.exec(select(TrashItem))))


async def purge_expired(now: datetime | None = None) -> int:
    """The periodic job: items older than ``TRASH_DAYS``, in every workspace, one transaction each."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    async with transaction() as session:
        tenant_ids = list(await session.exec(select(Tenant.id)))
    removed = 0
    for tenant_id in tenant_ids:
        async with transaction(tenant_id) as session:
            expired = list(await session.exec(select(TrashItem).where(col(TrashItem.deleted_at) < cutoff)))
            removed += await _remove(session, expired)
    return removed
