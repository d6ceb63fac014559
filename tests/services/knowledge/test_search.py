"""Hybrid search over what a team writes, with the local embedder (no provider, no key)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.services import notes
from nyx_app.services.errors import InvalidInput
from nyx_app.services.knowledge import status
from nyx_app.services.knowledge.search import MatchedBy, SearchRequest, search
from tests.factories import TenantFactory
from tests.services.knowledge.helpers import embed_all, memory_entry, project_with_notes, queued_embedding_jobs

POSTMORTEM = (
    "Postmortem: vector column dropped by schema push",
    "During the release the ORM's schema push removed the embeddings column from workflow_insight because the "
    "model did not declare it. We restored it by hand and rebuilt the HNSW index.",
)
CREDIT = (
    "Anthropic credit exhausted returns HTTP 400",
    "When the account has no credit left the provider answers 400 with 'credit balance is too low'. "
    "Treat it as account-wide and move to the fallback provider immediately.",
)
STANDUP = ("Stand-up 2026-03-04", "Mara refactored the login page. Jonas profiled the job queue. Blocked by nothing.")


async def test_meaning_finds_a_note_sharing_no_word_with_the_query_and_words_find_exact_terms(
    tenants: TenantFactory,
) -> None:
    a = await tenants.create()
    _, (postmortem, credit, _) = await project_with_notes(a, POSTMORTEM, CREDIT, STANDUP)
    assert await queued_embedding_jobs(a) == 1  # three saves, one coalesced job
    progress = await embed_all(a)
    assert progress.embedded == 3

    by_meaning = await search(a.ctx, SearchRequest("the AI vendor ran out of prepaid money"))
    assert by_meaning.hits[0].item_id == credit.id
    assert by_meaning.hits[0].matched_by is MatchedBy.MEANING
    assert by_meaning.note == ""

    by_words = await search(a.ctx, SearchRequest("schema push"))
    top = by_words.hits[0]
    assert top.item_id == postmortem.id and top.matched_by is MatchedBy.BOTH
    marks = by_words.marks
    assert f"{marks.start}schema{marks.stop}" in top.title_marked.lower().replace(marks.start.lower(), marks.start)
    assert top.project_name == "Platform"


async def test_search_is_grouped_by_kind_and_scoped_to_a_project(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project, _ = await project_with_notes(a, POSTMORTEM)
    other, _ = await project_with_notes(a, CREDIT, name="Billing")
    await memory_entry(a, "Provider billing", "Prepaid balance of the model vendor ran out in March.", other)
    await embed_all(a)
    everything = await search(a.ctx, SearchRequest("vendor out of money"))
    assert set(everything.kinds) == {"note", "memory"}
    only_memory = await search(a.ctx, SearchRequest("vendor out of money", kinds=[KnowledgeKind.MEMORY]))
    assert {h.kind for h in only_memory.hits} == {KnowledgeKind.MEMORY}
    scoped = await search(a.ctx, SearchRequest("vendor out of money", project_id=project))
    assert all(h.project_id == project for h in scoped.hits)


async def test_an_edited_note_counts_as_not_embedded_until_embedded_again_and_a_deleted_one_is_gone(
    tenants: TenantFactory,
) -> None:
    a = await tenants.create()
    _, (note,) = await project_with_notes(a, STANDUP)
    await embed_all(a)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        assert (await status.progress(s, a.ctx)).label == "1 of 1 items embedded"
        await notes.save_note(
            s, a.ctx, note.id, title="Retro", content="Kubernetes pods crash on start", base_version=1
        )
        assert (await status.progress(s, a.ctx)).label == "0 of 1 items embedded"
    await embed_all(a)
    assert (await search(a.ctx, SearchRequest("containers keep failing at boot"))).hits[0].item_id == note.id
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await notes.delete_note(s, a.ctx, note.id)
        assert (await status.progress(s, a.ctx)).total == 0
        left = await s.execute(text("SELECT count(*) FROM knowledge_embedding"))
        assert left.scalar_one() == 0
    assert (await search(a.ctx, SearchRequest("Kubernetes"))).hits == []


async def test_before_embedding_words_still_find_and_nothing_leaks_to_another_tenant(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    await project_with_notes(a, POSTMORTEM)
    found = await search(a.ctx, SearchRequest("schema push"))  # no vectors yet
    assert [h.matched_by for h in found.hits] == [MatchedBy.WORDS]
    await embed_all(a)
    assert (await search(b.ctx, SearchRequest("schema push"))).hits == []
    assert (await search(b.ctx, SearchRequest("similarity data vanished after shipping"))).hits == []


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "Type what you are looking for."), ("   ", "Type what you are looking for."), ("x" * 10_000, "too long")],
)
async def test_bad_queries_are_refused_in_words(tenants: TenantFactory, query: str, message: str) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidInput, match=message):
        await search(a.ctx, SearchRequest(query))


async def test_stop_words_and_emoji_answer_without_error(tenants: TenantFactory) -> None:
    a = await tenants.create()
    await project_with_notes(a, POSTMORTEM, STANDUP)
    await embed_all(a)
    for query in ("the and of", "🔥🚀", "ünïcödé ☕ coffee"):
        result = await search(a.ctx, SearchRequest(query))
        assert all(h.matched_by is MatchedBy.MEANING for h in result.hits)


async def test_the_job_the_trigger_queues_is_the_worker_task_that_embeds(tenants: TenantFactory) -> None:
    """The queued job (written by SQL in the trigger) names the task, queue and arguments the
    worker knows: a real procrastinate worker runs it to the end."""
    from nyx_app.jobs import tasks  # noqa: F401  (registers the task)
    from nyx_app.jobs.queue import proc_app

    a = await tenants.create()
    _, (note,) = await project_with_notes(a, CREDIT)
    assert await queued_embedding_jobs(a) == 1
    async with proc_app.open_async():
        await proc_app.run_worker_async(queues=["knowledge"], wait=False, install_signal_handlers=False)
    assert await queued_embedding_jobs(a) == 0
    found = await search(a.ctx, SearchRequest("the AI vendor ran out of prepaid money"))
    assert [(h.item_id, h.matched_by) for h in found.hits] == [(note.id, MatchedBy.MEANING)]
