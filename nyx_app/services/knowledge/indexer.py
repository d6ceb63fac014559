"""The embedding job's work: embed what the tenant's target model has no current vector of.

One job per tenant runs at a time (procrastinate lock ``knowledge:<tenant>``); it takes batches of
``BATCH`` items, newest first, until none is missing or its time is up (then it queues itself
again, so other tenants' jobs get their turn). Per batch: read (one transaction), embed (no
transaction held), write the vectors (one transaction). A vector is stored with the ``content_hash``
of the text it was made from: an item edited meanwhile stays "not embedded" and its own trigger
has queued the next job, so nothing half-indexed is counted as done.

A failed batch writes its error on its items (shown per item and in the status) and raises, so
procrastinate retries the job with backoff; an item that failed ``MAX_ATTEMPTS`` times is left
out until its text changes or someone presses "Retry" (``status.retry_failed``).

When the target model differs from the current one and no item lacks a target vector, the switch
completes: the target becomes current and the old model's vectors are deleted, in one transaction.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import transaction
from nyx_app.integrations.llm_errors import ProviderFailure
from nyx_app.integrations.minilm import ModelMissing
from nyx_app.models.knowledge import ERROR_MAX, KnowledgeSetting
from nyx_app.models.tenancy import Role
from nyx_app.services.context import TenantContext
from nyx_app.services.knowledge import embedding_model
from nyx_app.services.knowledge.embedding_model import Embedder

BATCH = 32
MAX_ATTEMPTS = 5
TIME_BUDGET_SECONDS = 30.0
EMBED_CHARS = 4_000  # the start of a text the embedder reads (MiniLM stops at 256 word pieces anyway)

_PENDING = text(
    """
    SELECT i.kind, i.item_id, i.title, i.body, i.content_hash
    FROM knowledge_item i
    LEFT JOIN knowledge_embedding e
      ON e.tenant_id = i.tenant_id AND e.kind = i.kind AND e.item_id = i.item_id AND e.model = :model
    WHERE (e.item_id IS NULL OR e.content_hash <> i.content_hash) AND i.embed_attempts < :max_attempts
    ORDER BY i.item_updated_at DESC, i.id
    LIMIT :n
    """
)
_STORE = text(
    """
    INSERT INTO knowledge_embedding (tenant_id, kind, item_id, model, dims, embedding, content_hash, embedded_at)
    SELECT CAST(:tenant AS uuid), CAST(:kind AS varchar), CAST(:item AS uuid), CAST(:model AS varchar),
           CAST(:dims AS smallint), CAST(:vec AS vector), CAST(:hash AS varchar), now()
    WHERE EXISTS (SELECT 1 FROM knowledge_item WHERE kind = CAST(:kind AS varchar) AND item_id = CAST(:item AS uuid))
    ON CONFLICT (tenant_id, kind, item_id, model)
    DO UPDATE SET dims = EXCLUDED.dims, embedding = EXCLUDED.embedding, content_hash = EXCLUDED.content_hash,
                  embedded_at = EXCLUDED.embedded_at
    """
)
_CLEAR_ERRORS = text(
    "UPDATE knowledge_item SET embed_error = '', embed_attempts = 0 "
    "WHERE kind = ANY(:kinds) AND item_id = ANY(:items) AND embed_attempts > 0"
)
_FAIL = text(
    "UPDATE knowledge_item SET embed_error = left(:error, :max), embed_attempts = embed_attempts + 1 "
    "WHERE (kind, item_id) IN (SELECT * FROM unnest(CAST(:kinds AS text[]), CAST(:items AS uuid[])))"
)


class EmbeddingFailed(Exception):
    """A batch could not be embedded; procrastinate retries the job."""


@dataclass(frozen=True, slots=True)
class Pending:
    kind: str
    item_id: uuid.UUID
    text: str
    content_hash: str


@dataclass
class Progress:
    embedded: int = 0
    batches: int = 0
    switched: bool = False
    more: bool = False  # stopped for time with work left (the job queued itself again)


def job_context(tenant_id: uuid.UUID) -> TenantContext:
    """Jobs act for the tenant, not a user: the role only matters for permission checks, and the
    job makes none."""
    return TenantContext(tenant_id=tenant_id, user_id=uuid.UUID(int=0), role=Role.MEMBER)


def document_text(title: str, body: str) -> str:
    return f"{title}\n\n{body[:EMBED_CHARS]}" if body else title


async def _next_batch(session: AsyncSession, model: str, size: int) -> list[Pending]:
    rows = await session.execute(_PENDING, {"model": model, "max_attempts": MAX_ATTEMPTS, "n": size})
    return [Pending(r.kind, r.item_id, document_text(r.title, r.body), r.content_hash) for r in rows]


def vector_literal(vector: list[float]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


async def _store(
    session: AsyncSession, ctx: TenantContext, model: str, batch: list[Pending], vectors: list[list[float]]
) -> None:
    params = [
        {"tenant": ctx.tenant_id, "kind": p.kind, "item": p.item_id, "model": model, "dims": len(v),
         "vec": vector_literal(v), "hash": p.content_hash}
        for p, v in zip(batch, vectors, strict=True)
    ]  # fmt: skip
    await session.execute(_STORE, params)
    await session.execute(_CLEAR_ERRORS, {"kinds": [p.kind for p in batch], "items": [p.item_id for p in batch]})


async def _fail(ctx: TenantContext, batch: list[Pending], message: str) -> None:
    async with transaction(ctx.tenant_id) as session:
        await session.execute(
            _FAIL,
            {"error": message, "max": ERROR_MAX, "kinds": [p.kind for p in batch], "items": [p.item_id for p in batch]},
        )


async def _complete_switch(session: AsyncSession, ctx: TenantContext) -> bool:
    """Make the target current once nothing lacks a target vector (locks the setting row)."""
    row = await session.get(KnowledgeSetting, ctx.tenant_id, with_for_update=True)
    if row is None or row.model == row.target_model:
        return False
    left = await session.execute(_PENDING, {"model": row.target_model, "max_attempts": 1_000_000, "n": 1})
    if left.first() is not None:
        return False
    old = row.model
    row.model = row.target_model
    session.add(row)
    await session.execute(text("DELETE FROM knowledge_embedding WHERE model = :old"), {"old": old})
    await session.flush()
    return True


async def embed_pending(
    tenant_id: uuid.UUID, *, batch_size: int = BATCH, time_budget: float = TIME_BUDGET_SECONDS
) -> Progress:
    ctx = job_context(tenant_id)
    progress = Progress()
    started = time.monotonic()
    while True:
        async with transaction(tenant_id) as session:
            state = await embedding_model.current(session, ctx)
            batch = await _next_batch(session, state.target, batch_size)
            if not batch:
                progress.switched = await _complete_switch(session, ctx)
                return progress
            if time.monotonic() - started > time_budget:
                await embedding_model.defer_embedding(session, tenant_id)
                progress.more = True
                return progress
            try:
                embedder = await embedding_model.resolve(session, ctx, state.target)
            except ProviderFailure as failure:
                embedder, problem = None, failure.message
            expected = await embedding_model.stored_dims(session, state.target)
        if embedder is None:
            await _fail(ctx, batch, problem)
            raise EmbeddingFailed(problem)
        vectors = await _embed(ctx, embedder, batch, expected)
        async with transaction(tenant_id) as session:
            await _store(session, ctx, state.target, batch, vectors)
        progress.embedded += len(batch)
        progress.batches += 1


async def _embed(
    ctx: TenantContext, embedder: Embedder, batch: list[Pending], expected: int | None
) -> list[list[float]]:
    try:
        return await embedding_model.embed(ctx, embedder, [p.text for p in batch], expected_dims=expected)
    except ProviderFailure as failure:
        message = f"{embedder.ref}: {failure.message}"
    except ModelMissing as missing:
        message = str(missing)
    except Exception as exc:  # the local model's process died, say: shown, then retried
        message = f"{embedder.ref}: {type(exc).__name__}: {exc}"
    await _fail(ctx, batch, message)
    raise EmbeddingFailed(message)
