import uuid

import pytest

from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services import note_drafts, note_images, note_pages, notes, projects
from nyx_app.services.errors import NotFound
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.notes import NoteQuery
from tests.factories import Account, TenantFactory
from tests.fakes import images as corpus


async def _in(a: Account, action):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await action(s, a.ctx)


async def test_the_project_page_is_the_project_and_one_page_of_note_cards(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _in(a, lambda s, c: projects.create_project(s, c, "Big"))
    for i in range(30):
        await _in(a, lambda s, c, i=i: notes.create_note(s, c, project.id, f"Note {i}", "body " * 400))
    page = await _in(a, lambda s, c: note_pages.project_page(s, c, project.id, NoteQuery()))
    assert page.project.name == "Big"
    assert (len(page.notes.cards), page.notes.total, page.notes.has_more) == (notes.PAGE_SIZE, 30, True)
    assert page.notes.cards[0].title == "Note 29"
    assert all(len(c.excerpt) <= notes.EXCERPT_CHARS for c in page.notes.cards)


async def test_the_note_page_has_note_images_own_draft_and_what_the_user_may_do(
    tenants: TenantFactory, local_storage
) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner, Role.MEMBER)
    project = await _in(owner, lambda s, c: projects.create_project(s, c, "P"))
    note = await _in(owner, lambda s, c: notes.create_note(s, c, project.id, "Owner's note", "text"))
    png = IncomingFile("a.png", corpus.image_bytes("PNG", (30, 20)))
    await _in(owner, lambda s, c: note_images.add_images(s, c, note.id, [png]))
    await _in(member, lambda s, c: note_drafts.save_draft(s, c, note.id, title="T", content="mine", base_version=1))

    as_member = await _in(member, lambda s, c: note_pages.note_page(s, c, project.id, note.id))
    assert (as_member.note.title, as_member.note.content, as_member.note.version) == ("Owner's note", "text", 1)
    assert as_member.project_name == "P"
    assert [i.width for i in as_member.images] == [30]
    assert as_member.draft is not None and as_member.draft.content == "mine"
    assert (as_member.may_delete, as_member.may_remove_images) == (False, False)
    as_owner = await _in(owner, lambda s, c: note_pages.note_page(s, c, str(project.id), str(note.id)))
    assert as_owner.draft is None
    assert (as_owner.may_delete, as_owner.may_remove_images) == (True, True)


async def test_a_note_under_another_projects_url_or_tenant_is_not_found(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    project = await _in(a, lambda s, c: projects.create_project(s, c, "P"))
    other = await _in(a, lambda s, c: projects.create_project(s, c, "Q"))
    note = await _in(a, lambda s, c: notes.create_note(s, c, project.id, "N"))
    for who, project_id, note_id in (
        (a, other.id, note.id),
        (a, project.id, uuid.uuid4()),
        (a, project.id, "not-an-id"),
        (b, project.id, note.id),
    ):
        with pytest.raises(NotFound, match="Note not found"):
            await _in(who, lambda s, c, p=project_id, n=note_id: note_pages.note_page(s, c, p, n))
