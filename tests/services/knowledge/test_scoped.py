"""The Memory Hub and a project's Notes tab use the same hybrid search in their own scope: an item
found by meaning is listed beside the word matches, within the list's own filters; only close
meaning matches join a list that counts its matches."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.services import memory, notes
from nyx_app.services.knowledge.search import ranked_ids
from nyx_app.services.notes import NoteQuery
from tests.factories import TenantFactory
from tests.services.knowledge.helpers import embed_all, memory_entry, project_with_notes

QUERY = "provider account ran out of credit"


async def test_memory_hub_lists_entries_found_by_meaning_first(tenants: TenantFactory) -> None:
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


async def test_notes_tab_lists_notes_found_by_meaning_in_this_project_only(tenants: TenantFactory) -> None:
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
