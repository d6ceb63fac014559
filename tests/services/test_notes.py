import pytest

from nyx_app.db.session import transaction
from nyx_app.services import notes, projects
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from tests.factories import Account, TenantFactory


async def _project(a: Account):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await projects.create_project(s, a.ctx, "Notes project")


async def test_create_edit_delete_a_note(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _project(a)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        note = await notes.create_note(s, a.ctx, project.id, "Plan", "# Step 1")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        saved = await notes.save_note(s, a.ctx, note.id, title="Plan v2", content="# Step 2", base_version=note.version)
    assert (saved.title, saved.content, saved.version) == ("Plan v2", "# Step 2", 2)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await notes.delete_note(s, a.ctx, note.id)
        assert await notes.list_notes(s, a.ctx, project.id) == []


async def test_a_save_from_a_stale_tab_is_a_conflict_and_loses_nothing(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _project(a)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        note = await notes.create_note(s, a.ctx, project.id, "Shared", "original")
    opened_version = note.version  # both tabs opened the note at this version
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await notes.save_note(s, a.ctx, note.id, title="Shared", content="tab one", base_version=opened_version)
    with pytest.raises(Conflict, match="changed elsewhere"):
        async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
            await notes.save_note(s, a.ctx, note.id, title="Shared", content="tab two", base_version=opened_version)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        current = await notes.get_note(s, a.ctx, note.id)
    assert current.content == "tab one" and current.version == 2


async def test_empty_title_is_refused(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _project(a)
    with pytest.raises(InvalidInput, match="Note title cannot be empty"):
        async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
            await notes.create_note(s, a.ctx, project.id, " ", "body")


async def test_notes_of_another_tenant_are_not_found(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    project = await _project(a)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        note = await notes.create_note(s, a.ctx, project.id, "Secret", "x")
    for attempt in (
        lambda s: notes.list_notes(s, b.ctx, project.id),
        lambda s: notes.create_note(s, b.ctx, project.id, "Injected"),
    ):
        with pytest.raises(NotFound, match="Project not found"):
            async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
                await attempt(s)
    for attempt in (
        lambda s: notes.get_note(s, b.ctx, note.id),
        lambda s: notes.save_note(s, b.ctx, note.id, title="Hacked", content="", base_version=1),
        lambda s: notes.delete_note(s, b.ctx, note.id),
    ):
        with pytest.raises(NotFound, match="Note not found"):
            async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
                await attempt(s)


async def test_deleting_a_project_deletes_its_notes(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _project(a)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        note = await notes.create_note(s, a.ctx, project.id, "Gone soon")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await projects.delete_project(s, a.ctx, project.id)
    with pytest.raises(NotFound):
        async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
            await notes.get_note(s, a.ctx, note.id)
