"""How far embedding has come: "1,240 of 3,000 items embedded", and the items that failed.

Counted against the target model (the one being built), by current text: an item whose text
changed after its vector was made counts as not embedded until it is embedded again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.services.context import TenantContext
from nyx_app.services.knowledge import embedding_model
from nyx_app.services.knowledge.indexer import MAX_ATTEMPTS
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import parse_id

FAILED_SHOWN = 20

_COUNTS = text(
    """
    SELECT count(*) AS total,
           count(*) FILTER (WHERE e.item_id IS NOT NULL AND e.content_hash = i.content_hash) AS embedded,
           count(*) FILTER (WHERE (e.item_id IS NULL OR e.content_hash <> i.content_hash) AND i.embed_error <> '')
             AS failing
    FROM knowledge_item i
    LEFT JOIN knowledge_embedding e
      ON e.tenant_id = i.tenant_id AND e.kind = i.kind AND e.item_id = i.item_id AND e.model = :model
    """
)
_FAILED = text(
    """
    SELECT i.kind, i.item_id, i.title, i.embed_error, i.embed_attempts
    FROM knowledge_item i
    LEFT JOIN knowledge_embedding e
      ON e.tenant_id = i.tenant_id AND e.kind = i.kind AND e.item_id = i.item_id AND e.model = :model
    WHERE (e.item_id IS NULL OR e.content_hash <> i.content_hash) AND i.embed_error <> ''
    ORDER BY i.item_updated_at DESC LIMIT :n
    """
)


@dataclass(frozen=True, slots=True)
class FailedItem:
    kind: str
    item_id: str
    title: str
    error: str
    attempts: int
    gave_up: bool  # failed MAX_ATTEMPTS times: waits for "Retry" or a change of its text


@dataclass(frozen=True, slots=True)
class EmbeddingStatus:
    model: str  # answering searches
    target: str  # being built
    total: int
    embedded: int
    failing: int
    failed: list[FailedItem]

    @property
    def complete(self) -> bool:
        return self.embedded == self.total

    @property
    def label(self) -> str:
        text_ = f"{self.embedded:,} of {self.total:,} items embedded"
        if self.target != self.model:
            text_ += f" with {self.target} (search uses {self.model} until then)"
        if self.failing:
            text_ += f"; {self.failing:,} failed"
        return text_


async def progress(session: AsyncSession, ctx: TenantContext) -> EmbeddingStatus:
    state = await embedding_model.current(session, ctx)
    counts = (await session.execute(_COUNTS, {"model": state.target})).one()
    rows = await session.execute(_FAILED, {"model": state.target, "n": FAILED_SHOWN})
    failed = [
        FailedItem(r.kind, str(r.item_id), r.title, r.embed_error, r.embed_attempts, r.embed_attempts >= MAX_ATTEMPTS)
        for r in rows
    ]
    return EmbeddingStatus(state.model, state.target, counts.total, counts.embedded, counts.failing, failed)


async def retry_item(session: AsyncSession, ctx: TenantContext, kind: str, item_id: str) -> bool:
    """ "Try again" on one failed item: a fresh round of attempts and the job queued. False when
    there is no such failed item (embedded meanwhile, deleted, or another tenant's)."""
    require(ctx, Action.PROVIDER_KEYS_MANAGE)
    item = parse_id(item_id, "Item")
    done = await session.execute(
        text(
            "UPDATE knowledge_item SET embed_attempts = 0 "
            "WHERE kind = :kind AND item_id = :item AND embed_error <> '' AND embed_attempts > 0"
        ),
        {"kind": kind, "item": item},
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    await embedding_model.defer_embedding(session, ctx.tenant_id)
    return True


async def retry_failed(session: AsyncSession, ctx: TenantContext) -> int:
    """Give failed items another round of attempts and queue the job. Returns how many."""
    require(ctx, Action.PROVIDER_KEYS_MANAGE)
    done = await session.execute(
        text("UPDATE knowledge_item SET embed_attempts = 0 WHERE embed_error <> '' AND embed_attempts > 0")
    )
    await embedding_model.defer_embedding(session, ctx.tenant_id)
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
