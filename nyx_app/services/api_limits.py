"""Limits of the public API, kept in PostgreSQL so every process of the app shares them.

Rate: each tenant has ``NYX_API_RATE_LIMIT_PER_MINUTE`` calls per calendar minute (a fixed window:
one row per tenant and minute, counted with one upsert, old rows swept). A call over the limit is
refused with the seconds until the window ends.

Idempotency: a creating call may carry an ``Idempotency-Key``. The key's row is inserted in the
same transaction as what the call creates; a second call with the key waits on the row's unique
index until the first commits, then gets the first answer again (or, if the first failed and
rolled back, goes ahead itself). The same key with a different request is refused.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.api import IDEMPOTENCY_KEY_MAX, ApiIdempotency, ApiRateWindow
from nyx_app.services.errors import Conflict, InvalidInput
from nyx_app.settings import get_settings

WINDOW_SECONDS = 60
IDEMPOTENCY_KEEP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class RateState:
    limit: int
    used: int
    reset_seconds: int  # until the current window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit


_COUNT = text(
    """
    INSERT INTO api_rate_window (tenant_id, window_start, count)
    VALUES (:tenant_id, date_trunc('minute', now()), 1)
    ON CONFLICT (tenant_id, window_start) DO UPDATE SET count = api_rate_window.count + 1
    RETURNING count, ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()))::int
    """
)


async def count_call(session: AsyncSession, tenant_id: uuid.UUID) -> RateState:
    """Count one call of the tenant (in the caller's transaction, scoped to that tenant)."""
    used, reset = (await session.execute(_COUNT, {"tenant_id": tenant_id})).one()
    return RateState(get_settings().api_rate_limit_per_minute, int(used), max(1, int(reset)))


async def sweep_rate_windows(tenant_id: uuid.UUID) -> int:
    """Forget the tenant's finished windows (called now and then from the counting path)."""
    async with transaction(tenant_id) as session:
        result = await session.execute(
            delete(ApiRateWindow).where(col(ApiRateWindow.window_start) < func.now() - timedelta(minutes=2))
        )
        removed = await session.execute(
            delete(ApiIdempotency).where(col(ApiIdempotency.created_at) < func.now() - IDEMPOTENCY_KEEP)
        )
    return int(result.rowcount or 0) + int(removed.rowcount or 0)  # type: ignore[attr-defined]


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status_code: int
    body: str
    content_type: str
    location: str


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise InvalidInput(f"The Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} printable characters.")
    return key


async def claim_key(
    session: AsyncSession, tenant_id: uuid.UUID, token_id: uuid.UUID, key: str, fingerprint: str
) -> tuple[uuid.UUID | None, StoredAnswer | None]:
    """Claim ``key`` for this call: (row id, None) to go ahead, or (None, the stored answer) to
    replay it. Raises Conflict when the key was used for another request."""
    row_id = uuid.uuid4()
    claimed = await session.execute(
        insert(ApiIdempotency)
        .values(
            id=row_id,
            tenant_id=tenant_id,
            key=key,
            token_id=token_id,
            request_hash=fingerprint,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(constraint="uq_api_idempotency_key")
        .returning(col(ApiIdempotency.id))
    )
    if claimed.first() is not None:
        return row_id, None
    stored = (await session.exec(select(ApiIdempotency).where(ApiIdempotency.key == key))).one()
    if stored.request_hash != fingerprint:
        raise Conflict("This Idempotency-Key was already used for a different request. Use a new key.")
    return None, StoredAnswer(stored.status_code, stored.body, stored.content_type, stored.location)


async def store_answer(
    session: AsyncSession, row_id: uuid.UUID, status_code: int, body: str, content_type: str, location: str = ""
) -> None:
    row = await session.get(ApiIdempotency, row_id)
    assert row is not None
    row.status_code, row.body, row.content_type, row.location = status_code, body, content_type, location
    session.add(row)
    await session.flush()
