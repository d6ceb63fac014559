import pytest

from nyx_app.db.session import transaction
from nyx_app.services import note_drafts, note_images, notes, projects
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.notes import NoteListing, NoteQuery, NoteSort
from tests.factories import Account, TenantFactory
from tests.fakes import images as corpus


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


async def _notes(a: Account, project_id, *specs: tuple[str, str]) -> list:
    made = []
    for title, content in specs:
        async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
            made.append(await notes.create_note(s, a.ctx, project_id, title, content))
    return made


async def _cards(a: Account, project_id, **query) -> NoteListing:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await notes.list_cards(s, a.ctx, project_id, NoteQuery(**query))


async def test_cards_are_small_newest_change_first_and_carry_image_count_thumbnail_and_author(
    tenants: TenantFactory, local_storage
) -> None:
    a = await tenants.create()
    project = await _project(a)
    plain, pictured = await _notes(
        a, project.id, ("Plain", "## Setup\n\nRun **make** and [read this](https://x.test)."), ("Pictured", "")
    )
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        saved = await note_images.add_images(
            s, a.ctx, pictured.id, [IncomingFile(f"{i}.png", corpus.image_bytes("PNG", (20, 10))) for i in range(3)]
        )
    listing = await _cards(a, project.id)
    assert [c.title for c in listing.cards] == ["Pictured", "Plain"]
    assert (listing.total, listing.has_more) == (2, False)
    card = listing.cards[1]
    assert card.excerpt == "Setup Run make and read this."  # words, no Markdown
    assert (card.image_count, card.first_image_id) == (0, None)
    assert listing.cards[0].image_count == 3
    assert listing.cards[0].first_image_id == saved[0].image.id  # type: ignore[union-attr]
    assert card.author.startswith("User ")

    # Editing the older note brings it to the top.
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await notes.save_note(s, a.ctx, plain.id, title="Plain", content="changed", base_version=1)
    assert [c.title for c in (await _cards(a, project.id)).cards] == ["Plain", "Pictured"]


async def test_sort_by_created_or_title_and_page_through_in_sql(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _project(a)
    await _notes(a, project.id, *[(f"Note {c}", "") for c in "CAEBD"])
    by_created = await _cards(a, project.id, sort=NoteSort.CREATED)
    assert [c.title[-1] for c in by_created.cards] == list("DBEAC")
    first = await _cards(a, project.id, sort=NoteSort.TITLE, limit=2)
    assert [c.title[-1] for c in first.cards] == ["A", "B"]
    assert (first.total, first.has_more) == (5, True)
    last = await _cards(a, project.id, sort=NoteSort.TITLE, limit=2, offset=4)
    assert [c.title[-1] for c in last.cards] == ["E"]
    assert (last.total, last.has_more) == (5, False)
    beyond = await _cards(a, project.id, sort=NoteSort.TITLE, limit=2, offset=10)
    assert (beyond.cards, beyond.total, beyond.has_more) == ([], 5, False)


async def test_search_finds_words_by_their_beginning_in_title_and_content_all_words_required(
    tenants: TenantFactory,
) -> None:
    a = await tenants.create()
    project = await _project(a)
    await _notes(
        a,
        project.id,
        ("Deployment checklist", "Push before you go live."),
        ("Login screen", "The **error** state after a wrong password; deployed on Friday."),
        ("Groceries", "Äpfel und Birnen"),
    )
    titles = lambda listing: sorted(c.title for c in listing.cards)  # noqa: E731
    assert titles(await _cards(a, project.id, text="deploy")) == ["Deployment checklist", "Login screen"]
    assert titles(await _cards(a, project.id, text="DEPLOY err")) == ["Login screen"]
    assert titles(await _cards(a, project.id, text="äpf")) == ["Groceries"]
    assert (await _cards(a, project.id, text="kubernetes")).total == 0
    # Query syntax is never the user's: operators and quotes are just not words.
    assert titles(await _cards(a, project.id, text="'deploy' & !(x) | <->")) == titles(
        await _cards(a, project.id, text="deploy x")
    )
    assert (await _cards(a, project.id, text="  !!  ")).total == 3  # no words: everything


async def test_search_terms_keep_only_words() -> None:
    assert notes.search_terms("Deploy's  new-ish:* & !x") == "deploy:* & s:* & new:* & ish:* & x:*"
    assert notes.search_terms("") == ""


async def test_cards_of_another_tenants_project_are_not_found(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    project = await _project(a)
    await _notes(a, project.id, ("Secret", "x"))
    with pytest.raises(NotFound, match="Project not found"):
        await _cards(b, project.id)


async def test_a_successful_save_removes_the_users_draft_and_a_conflict_keeps_it(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _project(a)
    [note] = await _notes(a, project.id, ("Drafted", "v1"))
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await note_drafts.save_draft(s, a.ctx, note.id, title="Drafted", content="typing", base_version=1)
    with pytest.raises(Conflict):
        async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
            await notes.save_note(s, a.ctx, note.id, title="Drafted", content="typing", base_version=7)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        assert await note_drafts.get_draft(s, a.ctx, note.id) is not None
        await notes.save_note(s, a.ctx, note.id, title="Drafted", content="typing", base_version=1)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        assert await note_drafts.get_draft(s, a.ctx, note.id) is None
