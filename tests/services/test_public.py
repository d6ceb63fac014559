"""The public page of a published project: its public notes only, and "not found" for everything else."""

from __future__ import annotations

import pytest

from nyx_app.db.session import transaction
from nyx_app.integrations.storage import LocalStorage
from nyx_app.services import note_images, notes, projects, public
from nyx_app.services.errors import NotAllowed, NotFound
from nyx_app.services.note_images import IncomingFile
from tests.factories import Account, TenantFactory
from tests.fakes.images import image_bytes


async def _world(a: Account):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "Open source", "Shown to everyone")
        shown = await notes.create_note(s, a.ctx, project.id, "Read me", "**Hello** world")
        hidden = await notes.create_note(s, a.ctx, project.id, "Internal", "salaries")
        await notes.set_public(s, a.ctx, shown.id, True)
        shown_img = (await note_images.add_images(s, a.ctx, shown.id, [IncomingFile("a.png", image_bytes())]))[0]
        hidden_img = (await note_images.add_images(s, a.ctx, hidden.id, [IncomingFile("b.png", image_bytes())]))[0]
    assert shown_img.image is not None and hidden_img.image is not None
    return project, shown, hidden, shown_img.image.id, hidden_img.image.id


async def _publish(a: Account, project_id, published: bool) -> None:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await projects.update_project(s, a.ctx, project_id, published=published)


async def test_a_published_project_shows_its_public_notes_and_nothing_else(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    a, b = await tenants.create(), await tenants.create()
    project, shown, _hidden, shown_img, hidden_img = await _world(a)
    _other_project, _, _, other_img, _ = await _world(b)
    await _publish(b, _other_project.id, True)

    with pytest.raises(NotFound):  # not published yet
        await public.public_project(project.id)
    await _publish(a, project.id, True)
    page = await public.public_project(project.id)
    assert (page.name, page.description) == ("Open source", "Shown to everyone")
    assert [(n.title, n.content) for n in page.notes] == [("Read me", "**Hello** world")]
    assert [i.id for i in page.notes[0].images] == [shown_img]

    assert (await public.public_image(project.id, shown_img)).content_type == "image/png"
    for project_id, image_id in [
        (project.id, hidden_img),  # a private note's image
        (project.id, other_img),  # another tenant's image (of a published project) under this project
        (_other_project.id, shown_img),  # this image under another published project
        (project.id, "not-an-id"),
    ]:
        with pytest.raises(NotFound):
            await public.public_image(project_id, image_id)
    for unknown in ("00000000-0000-0000-0000-000000000000", "nope", shown.id):
        with pytest.raises(NotFound):
            await public.public_project(unknown)

    await _publish(a, project.id, False)  # unpublished: gone at once
    with pytest.raises(NotFound):
        await public.public_project(project.id)
    with pytest.raises(NotFound):
        await public.public_image(project.id, shown_img)


async def test_only_owners_and_admins_make_notes_public(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        project = await projects.create_project(s, owner.ctx, "P")
        note = await notes.create_note(s, owner.ctx, project.id, "N")
    with pytest.raises(NotAllowed, match="make notes public"):
        async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
            await notes.set_public(s, member.ctx, note.id, True)
