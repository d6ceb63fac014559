"""The tenant's embedding model, and the one place that embeds texts with it.

A model reference is "local/all-MiniLM-L6-v2" (the default, no key needed) or
"<provider name>/<model id>" of a provider the tenant has set up (Settings → Providers): "openai/
text-embedding-3-small", or an OpenAI-compatible endpoint's "<endpoint>/<model>". Provider calls go
through LiteLLM with the tenant's own credentials and the outbound guard, and each is recorded as an
``llm_call`` attempt (purpose "embedding"), so its cost counts in the month's spend like any call.
Like every call, it reserves its worst case against the tenant's monthly budget before anything is
sent (``_reserve`` through ``services/llm/budget``, so parallel calls see each other), and the
transaction that records the attempt settles the reservation; a refusal is a ``ProviderFailure`` of
kind "over budget", written on the items and retried like any failure.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.knowledge_sql import EMBED_QUEUE, EMBED_TASK, LOCK_PREFIX
from nyx_app.db.queue import defer_job
from nyx_app.db.session import transaction
from nyx_app.integrations import embeddings
from nyx_app.integrations.llm import price_table
from nyx_app.integrations.llm_errors import ErrorKind, ProviderFailure
from nyx_app.models.knowledge import MODEL_MAX, KnowledgeSetting
from nyx_app.models.llm import ERROR_MESSAGE_MAX, LlmCall
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.llm import budget as budgets
from nyx_app.services.llm import catalog
from nyx_app.services.llm.attempt import AttemptStatus
from nyx_app.services.llm.credentials import ResolvedProvider, mark_status, resolve_all
from nyx_app.services.llm.errors import BudgetExceeded
from nyx_app.services.llm.preferences import budget_and_chain
from nyx_app.services.permissions import Action, require
from nyx_app.settings import get_settings

DEFAULT_MODEL = embeddings.LOCAL_MODEL_REF
PURPOSE = "embedding"
# Embedding models offered for the built-in providers; endpoints offer their own model ids.
PROVIDER_MODELS: dict[str, tuple[str, ...]] = {catalog.OPENAI: ("text-embedding-3-small", "text-embedding-3-large")}


@dataclass(frozen=True, slots=True)
class ModelState:
    model: str  # answers searches
    target: str  # being built (== model when no switch is under way)

    @property
    def switching(self) -> bool:
        return self.model != self.target


async def current(session: AsyncSession, ctx: TenantContext) -> ModelState:
    row = await session.get(KnowledgeSetting, ctx.tenant_id)
    if row is None:
        return ModelState(DEFAULT_MODEL, DEFAULT_MODEL)
    return ModelState(row.model, row.target_model)


async def defer_embedding(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Queue the tenant's embedding job in this transaction (a no-op when one is waiting)."""
    lock = f"{LOCK_PREFIX}{tenant_id}"
    await defer_job(
        session, EMBED_TASK, {"tenant_id": str(tenant_id)}, queue=EMBED_QUEUE, lock=lock, queueing_lock=lock
    )


async def choices(session: AsyncSession, ctx: TenantContext) -> list[str]:
    """The model references this tenant can switch to."""
    refs = [DEFAULT_MODEL]
    for name, provider in (await resolve_all(session, ctx)).items():
        if provider.kind == catalog.OPENAI_COMPATIBLE:
            refs += [f"{name}/{m}" for m in provider.models]
        refs += [f"{name}/{m}" for m in PROVIDER_MODELS.get(provider.kind, ())]
    return refs


async def switch(session: AsyncSession, ctx: TenantContext, ref: str) -> ModelState:
    """Start building vectors of ``ref``. Search keeps answering from the current model until
    every item has one (the embedding job then makes ``ref`` current and drops the old vectors).
    Switching back to the current model cancels a switch under way."""
    require(ctx, Action.PROVIDER_KEYS_MANAGE)
    ref = ref.strip()
    if len(ref) > MODEL_MAX or ref not in await choices(session, ctx):
        raise InvalidInput("Choose one of the embedding models offered (set up its provider first).")
    state = await current(session, ctx)
    row = await session.get(KnowledgeSetting, ctx.tenant_id)
    if row is None:
        row = KnowledgeSetting(tenant_id=ctx.tenant_id, model=state.model, target_model=ref)
    row.target_model = ref
    row.switched_at = utcnow()
    session.add(row)
    # Failures counted against the old target say nothing about the new one.
    await session.execute(
        text("UPDATE knowledge_item SET embed_error = '', embed_attempts = 0 WHERE embed_attempts > 0")
    )
    await session.flush()
    if ref != state.model:
        await defer_embedding(session, ctx.tenant_id)
    return ModelState(row.model, row.target_model)


@dataclass(frozen=True, slots=True)
class Embedder:
    """A resolved model: embeds documents (a batch) and queries, recording provider calls."""

    ref: str
    provider: ResolvedProvider | None  # None: the local model

    @property
    def local(self) -> bool:
        return self.provider is None


async def resolve(session: AsyncSession, ctx: TenantContext, ref: str) -> Embedder:
    if ref == DEFAULT_MODEL:
        return Embedder(ref, None)
    name, _, _model_id = ref.partition("/")
    provider = (await resolve_all(session, ctx)).get(name)
    if provider is None:
        raise ProviderFailure(
            ErrorKind.AUTH, f"The embedding model {ref} needs the provider {name!r}, which is not set up any more."
        )
    return Embedder(ref, provider)


async def _record(
    session: AsyncSession,
    ctx: TenantContext,
    embedder: Embedder,
    *,
    started: float,
    tokens: int = 0,
    cost: float = 0.0,
    failure: ProviderFailure | None = None,
) -> None:
    provider = embedder.provider
    if provider is None:
        return
    session.add(
        LlmCall(
            tenant_id=ctx.tenant_id, call_id=uuid.uuid4(), attempt_no=1, user_id=None, purpose=PURPOSE,
            provider=provider.name, model=embedder.ref.partition("/")[2][:120],
            status=AttemptStatus.FAILED if failure else AttemptStatus.OK,
            error_kind=failure.kind.value if failure else "",
            error_message=(failure.message if failure else "")[:ERROR_MESSAGE_MAX],
            tokens_in=tokens, cost_usd=Decimal(str(cost)).quantize(Decimal("0.00000001")),
            latency_ms=int((time.monotonic() - started) * 1000),
        )
    )  # fmt: skip
    if failure is not None:
        await mark_status(session, ctx, provider.name, failure.kind, failure.message, failure.retry_after)


# Characters per token, counted low so the estimate errs towards refusing (English runs ~4).
CHARS_PER_TOKEN = 3


def estimate_cost(model_id: str, texts: list[str]) -> Decimal:
    """An upper-ish bound of what embedding ``texts`` costs (unknown prices count as free)."""
    entry = price_table().get(model_id) or price_table().get(f"openai/{model_id}") or {}
    per_token = entry.get("input_cost_per_token")
    if per_token is None:
        return Decimal(0)
    tokens = sum(len(t) for t in texts) // CHARS_PER_TOKEN + len(texts)
    return Decimal(str(per_token)) * tokens


async def _reserve(ctx: TenantContext, embedder: Embedder, texts: list[str]) -> budgets.Reservation | None:
    """Reserve the call's worst case before sending; refuse (ProviderFailure "over budget") what
    could pass the monthly budget, counting the calls in flight."""
    async with transaction(ctx.tenant_id) as session:
        limit, _ = await budget_and_chain(session, ctx)
    if limit is None:
        return None
    amount = estimate_cost(embedder.ref.partition("/")[2], texts)
    hold_s = get_settings().llm_timeout_seconds + 60  # past the call's own timeout: then it expires
    try:
        return await budgets.reserve(ctx, uuid.uuid4(), amount or None, limit, embedder.ref, hold_s=hold_s)
    except BudgetExceeded as refused:
        raise ProviderFailure(ErrorKind.BUDGET, refused.message) from None


async def embed(
    ctx: TenantContext, embedder: Embedder, texts: list[str], *, query: bool = False, expected_dims: int | None = None
) -> list[list[float]]:
    """Vectors for ``texts`` (no transaction held while a provider answers). Raises ProviderFailure
    (an unusable answer included: wrong dimension, NaN) after recording the attempt."""
    started = time.monotonic()
    if embedder.provider is None:
        if query:
            return [await embeddings.embed_query_local(texts[0])]
        return (await embeddings.embed_documents_local(texts)).vectors
    provider = embedder.provider
    model_id = embedder.ref.partition("/")[2]
    held = await _reserve(ctx, embedder, texts)  # refused: nothing sent, nothing recorded
    try:
        if provider.problem:
            raise ProviderFailure(ErrorKind.AUTH, provider.problem)
        done = await embeddings.embed_remote(
            model=catalog.litellm_model(provider.kind, model_id),
            texts=texts,
            api_key=provider.api_key or ("no-key" if provider.kind == catalog.OPENAI_COMPATIBLE else None),
            api_base=provider.api_base or None,
            timeout=get_settings().llm_timeout_seconds,
            expected_dims=expected_dims,
        )
    except ProviderFailure as failure:
        async with transaction(ctx.tenant_id) as session:
            await _record(session, ctx, embedder, started=started, failure=failure)
            await budgets.settle(session, held)
        raise
    async with transaction(ctx.tenant_id) as session:
        await _record(session, ctx, embedder, started=started, tokens=done.tokens, cost=done.cost_usd)
        await budgets.settle(session, held)
    return done.vectors


async def stored_dims(session: AsyncSession, model: str) -> int | None:
    """The dimension of this tenant's stored vectors of ``model`` (None: none stored yet)."""
    found = await session.execute(text("SELECT dims FROM knowledge_embedding WHERE model = :m LIMIT 1"), {"m": model})
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None
