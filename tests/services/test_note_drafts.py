import pytest

from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services import note_drafts, notes, projects
from nyx_app.services.errors import InvalidInput, NotFound
from tests.factories import Account, TenantFactory


async def _note(a: Account):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "Drafts")
        return await notes.create_note(s, a.ctx, project.id, "Plan", "saved text")


async def _save(a: Account, note_id, content: str, base_version: int = 1, title: str = "Plan"):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await note_drafts.save_draft(s, a.ctx, note_id, title=title, content=content, base_version=base_version)


async def _get(a: Account, note_id):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await note_drafts.get_draft(s, a.ctx, note_id)


async def test_a_draft_keeps_the_latest_text_and_the_version_it_was_written_on(tenants: TenantFactory) -> None:
    a = await tenants.create()
    note = await _note(a)
    assert await _get(a, note.id) is None
    await _save(a, note.id, "first words")
    await _save(a, note.id, "first words, then more", title="")  # an empty title is fine while typing
    draft = await _get(a, note.id)
    assert draft is not None
    assert (draft.title, draft.content, draft.base_version) == ("", "first words, then more", 1)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await note_drafts.discard_draft(s, a.ctx, note.id)
    assert await _get(a, note.id) is None


async def test_drafts_are_their_writers_alone_even_for_the_owner(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner, Role.MEMBER)
    note = await _note(owner)
    await _save(member, note.id, "member's unsaved thoughts")
    assert await _get(owner, note.id) is None
    await _save(owner, note.id, "owner's own draft")
    assert (await _get(member, note.id)).content == "member's unsaved thoughts"  # type: ignore[union-attr]
    assert (await _get(owner, note.id)).content == "owner's own draft"  # type: ignore[union-attr]


async def test_deleting_the_note_deletes_its_drafts(tenants: TenantFactory) -> None:
    a = await tenants.create()
    note = await _note(a)
    await _save(a, note.id, "doomed")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await notes.delete_note(s, a.ctx, note.id)
    with pytest.raises(NotFound):
        await _get(a, note.id)


async def test_what_cannot_be_stored_is_refused_in_words(tenants: TenantFactory) -> None:
    a = await tenants.create()
    note = await _note(a)
    with pytest.raises(InvalidInput, match="NUL"):
        await _save(a, note.id, "bad\x00byte")
    with pytest.raises(InvalidInput, match="too long"):
        await _save(a, note.id, "x" * 200_001)
    with pytest.raises(InvalidInput, match="title is too long"):
        await _save(a, note.id, "ok", title="t" * 201)


async def test_another_tenants_note_has_no_drafts_for_you(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    note = await _note(a)
    for attempt in (
        lambda s: note_drafts.save_draft(s, b.ctx, note.id, title="x", content="x", base_version=1),
        lambda s: note_drafts.get_draft(s, b.ctx, note.id),
        lambda s: note_drafts.discard_draft(s, b.ctx, note.id),
    ):
        with pytest.raises(NotFound, match="Note not found"):
            async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
                await attempt(s)
