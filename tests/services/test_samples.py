from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.integrations.storage import LocalStorage
from nyx_app.services import memory, note_images, notes, samples
from tests.factories import TenantFactory


async def test_a_sample_project_has_notes_with_images_and_a_memory_entry(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    a = await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await samples.create_sample_project(s, a.ctx)
        again = await samples.create_sample_project(s, a.ctx)
    assert (project.name, again.name) == (samples.SAMPLE_NAME, f"{samples.SAMPLE_NAME} (2)")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        made = await notes.list_notes(s, a.ctx, project.id)
        images = [len(await note_images.list_images(s, a.ctx, n.id)) for n in made]
        entries = await memory.search(s, a.ctx, project_id=str(project.id))
    assert [n.title for n in made] == ["Start here", "Altitude alarm"]
    assert images == [2, 1]
    assert [e.title for e in entries] == [samples.MEMORY_TITLE]
