"""The Memory Hub and a project's Notes tab use the same hybrid search in their own scope. They stay
filters that count what they find: the hybrid ranking orders the hub's matches, and when nothing
matches by its words, the close meaning matches are the matches (within the list's own filters)."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.services import memory, notes
from nyx_app.services.knowledge.search import ranked_ids
from nyx_app.services.notes import NoteQuery
from tests.factories import TenantFactory
from tests.services.knowledge.helpers import embed_all, memory_entry, project_with_notes

QUERY = "provider account ran out of credit"


async def test_memory_hub_falls_back_to_entries_found_by_meaning(tenants: TenantFactory) -> None:
    a = await tenants.create()
    credit = await memory_entry(a, "Anthropic credit exhausted", "The provider answers 400: credit balance is too low.")
    await memory_entry(a, "Garden", "Tomatoes need water every morning.")
    await embed_all(a)
    ranked = await ranked_ids(a.ctx, QUERY, KnowledgeKind.MEMORY)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        words_only = await memory.search_page(s, a.ctx, QUERY)
        hybrid = await memory.search_page(s, a.ctx, QUERY, ranked=ranked)
        tagged_elsewhere = await memory.search_page(s, a.ctx, QUERY, tag="garden", ranked=ranked)
    assert words_only.total == 0
    assert [h.entry.id for h in hybrid.hits][:1] == [credit]
    assert "Garden" not in [h.entry.title for h in hybrid.hits]
    assert tagged_elsewhere.total == 0  # the hub's own filters still apply


async def test_notes_tab_falls_back_to_notes_found_by_meaning_in_this_project_only(tenants: TenantFactory) -> None:
    a = await tenants.create()
    note = ("Anthropic credit exhausted", "The provider answers 400: credit balance is too low.")
    here, (mine,) = await project_with_notes(a, note)
    there, _ = await project_with_notes(a, note, name="Elsewhere")
    await embed_all(a)
    ranked = await ranked_ids(a.ctx, QUERY, KnowledgeKind.NOTE, project_id=here)
    assert len(ranked) == 1
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        listing = await notes.list_cards(s, a.ctx, here, NoteQuery(QUERY, ranked=ranked))
        plain = await notes.list_cards(s, a.ctx, here, NoteQuery(QUERY))
        other = await notes.list_cards(s, a.ctx, there, NoteQuery(QUERY, ranked=ranked))
    assert [c.id for c in listing.cards] == [mine.id]
    assert plain.total == 0 and other.total == 0


async def test_scoped_lists_take_only_close_meaning_matches(tenants: TenantFactory) -> None:
    a = await tenants.create()
    await memory_entry(a, "Anthropic credit exhausted", "The provider answers 400: credit balance is too low.")
    await embed_all(a)
    assert await ranked_ids(a.ctx, "kubernetes pods", KnowledgeKind.MEMORY) == ()


async def test_a_list_that_matches_by_words_stays_a_filter(tenants: TenantFactory) -> None:
    a = await tenants.create()
    near = [(f"Note {i}", f"About the deployment checklist, part {i}.") for i in range(4)]
    here, made = await project_with_notes(a, *near)
    await embed_all(a)
    ranked = await ranked_ids(a.ctx, "deploy part 2", KnowledgeKind.NOTE, project_id=here)
    assert len(ranked) >= 2  # the near-duplicates are close by meaning ...
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        listing = await notes.list_cards(s, a.ctx, here, NoteQuery("deploy part 2", ranked=ranked))
    assert [c.id for c in listing.cards] == [made[2].id]  # ... but the words name one note
