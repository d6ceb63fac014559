"""The trash: deleted notes, memory entries, images, workflows and reports come back as they were
(same ids, files kept), for their workspace only; emptying and the 30-day purge remove the files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.integrations.storage import LocalStorage
from nyx_app.models.report import ReportKind
from nyx_app.models.tenancy import Role
from nyx_app.models.trash import TrashItem
from nyx_app.services import image_sweep, memory, note_images, notes, projects, trash
from nyx_app.services.errors import Conflict, NotAllowed, NotFound
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.reports import store as reports
from nyx_app.services.workflows import store as workflows
from tests.factories import Account, TenantFactory
from tests.fakes.images import image_bytes


async def _in(a: Account, fn):  # type: ignore[no-untyped-def]
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await fn(s, a.ctx)


async def _note_with_images(a: Account, count: int = 2):  # type: ignore[no-untyped-def]
    async def make(s, c):  # type: ignore[no-untyped-def]
        project = await projects.create_project(s, c, "Kept")
        note = await notes.create_note(s, c, project.id, "Login", "The login page needs work.")
        files = [IncomingFile(f"s{i}.png", image_bytes(size=(40 + i, 30))) for i in range(count)]
        await note_images.add_images(s, c, note.id, files)
        return project, note

    return await _in(a, make)


def _stored(storage: LocalStorage) -> set[str]:
    return {o.key for o in storage.list_objects()}


async def test_a_note_comes_back_with_its_images_and_files(tenants: TenantFactory, local_storage: LocalStorage) -> None:
    a = await tenants.create()
    _, note = await _note_with_images(a)
    files = _stored(local_storage)
    assert len(files) == 4  # two images and their thumbnails
    item = await _in(a, lambda s, c: trash.trash_note(s, c, note.id))
    assert (item.kind, item.title, item.location) == ("note", "Login", "Kept")
    with pytest.raises(NotFound):
        await _in(a, lambda s, c: notes.get_note(s, c, note.id))
    assert _stored(local_storage) == files  # kept for a restore
    # The orphan sweep counts the trash's files as used.
    swept = await image_sweep.sweep_orphan_objects(storage=local_storage, grace=timedelta(0))
    assert swept.removed == []

    await _in(a, lambda s, c: trash.restore(s, c, item.id))
    back = await _in(a, lambda s, c: notes.get_note(s, c, note.id))
    assert (back.id, back.title, back.content) == (note.id, "Login", "The login page needs work.")
    assert len(await _in(a, lambda s, c: note_images.list_images(s, c, note.id))) == 2
    assert await _in(a, lambda s, c: trash.list_trash(s, c)) == []


async def test_an_image_needs_its_note_and_goes_last_when_restored(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    a = await tenants.create()
    _, note = await _note_with_images(a, count=3)
    first = (await _in(a, lambda s, c: note_images.list_images(s, c, note.id)))[0]
    image_item = await _in(a, lambda s, c: trash.trash_image(s, c, first.id))
    note_item = await _in(a, lambda s, c: trash.trash_note(s, c, note.id))
    with pytest.raises(Conflict, match="restore the note first"):
        await _in(a, lambda s, c: trash.restore(s, c, image_item.id))
    await _in(a, lambda s, c: trash.restore(s, c, note_item.id))
    await _in(a, lambda s, c: trash.restore(s, c, image_item.id))
    order = [i.id for i in await _in(a, lambda s, c: note_images.list_images(s, c, note.id))]
    assert len(order) == 3 and order[-1] == first.id


async def test_workflow_memory_and_report_come_back(tenants: TenantFactory, local_storage: LocalStorage) -> None:
    a = await tenants.create()

    async def make(s, c):  # type: ignore[no-untyped-def]
        project = await projects.create_project(s, c, "Things")
        wf = await workflows.create_workflow(s, c, project.id, template="image-to-implementation")
        entry = await memory.create_entry(s, c, title="Lesson", content="Alarms are seen.", project_id=str(project.id))
        report = await reports.save_report(
            s, c, project_id=project.id, kind=ReportKind.OVERVIEW, title="Overview", body="# Overview\n\nAll fine."
        )
        return project, wf, entry, report

    project, wf, entry, report = await _in(a, make)
    items = [
        await _in(a, lambda s, c: trash.trash_workflow(s, c, wf.id)),
        await _in(a, lambda s, c: trash.trash_memory(s, c, entry.id)),
        await _in(a, lambda s, c: trash.trash_report(s, c, report.id)),
    ]
    assert [v.kind for v in await _in(a, lambda s, c: trash.list_trash(s, c))] == ["report", "memory", "workflow"]
    # Meanwhile a new workflow took the name: the restored one gets a free name beside it.
    await _in(a, lambda s, c: workflows.create_workflow(s, c, project.id, template="image-to-implementation"))
    for item in items:
        await _in(a, lambda s, c, i=item: trash.restore(s, c, i.id))
    assert (await _in(a, lambda s, c: workflows.get_workflow(s, c, wf.id))).name == "Image to implementation (2)"
    assert (await _in(a, lambda s, c: memory.get_entry(s, c, entry.id))).content == "Alarms are seen."
    back = await _in(a, lambda s, c: reports.get_report(s, c, report.id))
    assert back.title == "Overview" and not back.published


async def test_another_workspace_cannot_see_or_restore_and_members_cannot_empty(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    a, b = await tenants.create(), await tenants.create()
    _, note = await _note_with_images(a, count=1)
    item = await _in(a, lambda s, c: trash.trash_note(s, c, note.id))
    assert await _in(b, lambda s, c: trash.list_trash(s, c)) == []
    with pytest.raises(NotFound):
        await _in(b, lambda s, c: trash.restore(s, c, item.id))
    member = await tenants.join(a, Role.MEMBER)
    with pytest.raises(NotAllowed):
        await _in(member, lambda s, c: trash.empty(s, c))
    with pytest.raises(NotAllowed):
        await _in(member, lambda s, c: trash.delete_forever(s, c, item.id))


async def test_emptying_and_the_purge_remove_the_files(tenants: TenantFactory, local_storage: LocalStorage) -> None:
    a = await tenants.create()
    _, old = await _note_with_images(a, count=1)
    old_item = await _in(a, lambda s, c: trash.trash_note(s, c, old.id))
    async with transaction(a.ctx.tenant_id) as s:  # deleted 31 days ago
        row = (await s.exec(select(TrashItem).where(TrashItem.id == old_item.id))).one()
        row.deleted_at = utcnow() - timedelta(days=31)
        s.add(row)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "Fresh")
        fresh = await notes.create_note(s, a.ctx, project.id, "Fresh", "")
    await _in(a, lambda s, c: note_images.add_images(s, c, fresh.id, [IncomingFile("f.png", image_bytes())]))
    fresh_item = await _in(a, lambda s, c: trash.trash_note(s, c, fresh.id))
    assert len(_stored(local_storage)) == 4

    assert await trash.purge_expired() >= 1
    assert [v.id for v in await _in(a, lambda s, c: trash.list_trash(s, c))] == [str(fresh_item.id)]
    assert set(old_item.file_keys).isdisjoint(_stored(local_storage))
    assert set(fresh_item.file_keys) <= _stored(local_storage)

    assert await _in(a, lambda s, c: trash.empty(s, c)) == 1
    assert _stored(local_storage) == set()


def test_a_worker_purges_the_trash_every_hour() -> None:
    from nyx_app.jobs import tasks
    from nyx_app.jobs.queue import proc_app

    periodic = proc_app.periodic_registry.periodic_tasks[(tasks.purge_trash_task.name, "purge-trash")]
    assert periodic.cron == "23 * * * *"
