"""Switching the embedding model to a provider's (an OpenAI-compatible endpoint, the fake server):
re-embedding in the background while search answers from the old model, never mixing models,
and a provider that fails, answers with the wrong dimension or NaN."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.services.errors import InvalidInput, NotAllowed
from nyx_app.services.knowledge import embedding_model, status
from nyx_app.services.knowledge.indexer import EmbeddingFailed, Progress, embed_pending
from nyx_app.services.knowledge.search import MatchedBy, SearchRequest, search
from nyx_app.services.llm import credentials, preferences
from tests.factories import Account, TenantFactory
from tests.fakes.llm_server import FakeLLM, fault, nan_vector, wrong_dimension
from tests.services.knowledge.helpers import embed_all, project_with_notes

MODEL = "embedder/fake-embed"
NOTES = [
    ("Deploy checklist", "Run migrations, then restart the workers, then watch the error rate."),
    ("Kubernetes pods crash", "Pods crash on start because the config map is missing."),
    ("Invoice export", "Customers download invoices as CSV from the billing page."),
    ("Password hashing", "argon2id with 64 MiB of memory and three iterations."),
    ("Weekly digest", "The digest counts runs per project in UTC."),
]


async def _endpoint(a: Account, fake: FakeLLM) -> None:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await credentials.save_endpoint(s, a.ctx, "embedder", fake.openai_base, "fake-embed")


async def _switch(a: Account, ref: str = MODEL) -> None:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await embedding_model.switch(s, a.ctx, ref)


async def _run(a: Account, batch_size: int = 32) -> Progress:
    """The job's work to its end (no time budget: LiteLLM's first import alone can take seconds)."""
    return await embed_pending(a.ctx.tenant_id, batch_size=batch_size, time_budget=600)


async def _status(a: Account) -> status.EmbeddingStatus:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await status.progress(s, a.ctx)


async def _models_stored(a: Account) -> set[str]:
    async with transaction(a.ctx.tenant_id) as s:
        return set((await s.execute(text("SELECT DISTINCT model FROM knowledge_embedding"))).scalars())


async def test_switch_re_embeds_in_the_background_and_search_keeps_the_old_model_until_done(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    a = await tenants.create()
    await project_with_notes(a, *NOTES)
    await embed_all(a)
    await _endpoint(a, fake_llm)
    await _switch(a)
    before = await _status(a)
    assert (
        before.label == f"0 of 5 items embedded with {MODEL} (search uses {embedding_model.DEFAULT_MODEL} until then)"
    )

    # Part of the way: two of five. Search still answers from the local model's vectors.
    fake_llm.script("fake-embed", wrong_dimension(1536), fault("overloaded"))
    with pytest.raises(EmbeddingFailed, match="overloaded"):
        await _run(a, batch_size=2)
    midway = await _status(a)
    assert (midway.embedded, midway.total, midway.model) == (2, 5, embedding_model.DEFAULT_MODEL)
    assert midway.failing == 2 and all("embedder/fake-embed" in f.error for f in midway.failed)
    found = await search(a.ctx, SearchRequest("containers keep failing at boot"))
    assert found.model == embedding_model.DEFAULT_MODEL and found.hits[0].matched_by is not MatchedBy.WORDS
    assert fake_llm.calls("fake-embed") == 2  # the query was embedded locally, not by the provider

    # The provider is back: the job finishes, the switch completes, the old vectors go.
    fake_llm.reset()
    progress = await _run(a, batch_size=2)
    assert progress.switched
    done = await _status(a)
    assert (done.model, done.target, done.label) == (MODEL, MODEL, "5 of 5 items embedded")
    assert await _models_stored(a) == {MODEL}
    found = await search(a.ctx, SearchRequest("Pods crash config map"))
    assert found.model == MODEL and found.hits[0].matched_by is MatchedBy.BOTH
    assert fake_llm.calls("fake-embed") == 2 + 1  # the two batches left, then the query
    async with transaction(a.ctx.tenant_id) as s:
        spent = (
            await s.execute(text("SELECT count(*), sum(tokens_in) FROM llm_call WHERE purpose = 'embedding'"))
        ).one()
    assert spent[0] >= 4 and spent[1] > 0  # every provider call recorded, as any LLM call is


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (wrong_dimension(8), "vectors of 8 dimensions; this model's vectors have 1536"),
        (nan_vector(), "NaN"),
    ],
)
async def test_wrong_dimension_or_nan_is_refused_per_item_and_never_stored(
    tenants: TenantFactory, fake_llm: FakeLLM, step: object, message: str
) -> None:
    a = await tenants.create()
    await project_with_notes(a, *NOTES[:4])
    await _endpoint(a, fake_llm)
    await _switch(a)
    fake_llm.script("fake-embed", wrong_dimension(1536), step)  # the first batch sets 1536
    with pytest.raises(EmbeddingFailed, match=message):
        await _run(a, batch_size=2)
    now = await _status(a)
    assert now.embedded == 2 and now.failing == 2
    assert all(message in f.error for f in now.failed)
    async with transaction(a.ctx.tenant_id) as s:
        dims = set(
            (
                await s.execute(text("SELECT DISTINCT dims FROM knowledge_embedding WHERE model = :m"), {"m": MODEL})
            ).scalars()
        )
    assert dims == {1536}


async def test_a_failed_item_is_retried_until_it_gives_up_and_retry_brings_it_back(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    a = await tenants.create()
    await project_with_notes(a, NOTES[0])
    await _endpoint(a, fake_llm)
    await _switch(a)
    fake_llm.script("fake-embed", then=fault("server"))
    for _ in range(5):  # what procrastinate's retries do
        with pytest.raises(EmbeddingFailed):
            await _run(a)
    assert (await _run(a)).embedded == 0  # given up: not tried again by itself
    failed = (await _status(a)).failed
    assert [f.gave_up for f in failed] == [True]
    fake_llm.reset()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        assert await status.retry_failed(s, a.ctx) == 1
    assert (await _run(a)).switched


async def test_only_offered_models_can_be_chosen(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidInput, match="Choose one of the embedding models"):
        await _switch(a, "openai/text-embedding-3-small")  # no OpenAI key set up
    member = await tenants.join(a)
    await _endpoint(a, fake_llm)
    with pytest.raises(NotAllowed):
        await _switch(member, MODEL)


async def test_a_provider_embedding_is_refused_before_sending_when_the_monthly_budget_is_spent(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    a = await tenants.create()
    await project_with_notes(a, *NOTES[:2])
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:  # a model with a price: estimates > 0
        await credentials.save_endpoint(s, a.ctx, "embedder", fake_llm.openai_base, "text-embedding-3-small")
        await preferences.set_budget(s, a.ctx, "0")
    await _switch(a, "embedder/text-embedding-3-small")
    with pytest.raises(EmbeddingFailed, match="Monthly LLM budget reached"):
        await _run(a)
    assert fake_llm.calls() == 0  # nothing was sent
    failed = (await _status(a)).failed
    assert len(failed) == 2 and all("Monthly LLM budget reached" in f.error for f in failed)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await preferences.set_budget(s, a.ctx, "")  # no limit: "Try again" on one item
        assert await status.retry_item(s, a.ctx, failed[0].kind, failed[0].item_id)
        assert not await status.retry_item(s, a.ctx, failed[0].kind, failed[0].item_id)  # not failing now
    progress = await _run(a)
    assert progress.embedded == 2 and progress.switched
