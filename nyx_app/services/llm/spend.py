"""What the tenant spent on LLM calls (the budget check before a call is ``budget.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Date, cast, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.llm import AttemptStatus, LlmCall, LlmSpendMonth
from nyx_app.services.context import TenantContext


@dataclass(frozen=True, slots=True)
class SpendRow:
    key: str  # provider name, or ISO date
    calls: int
    failed: int
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal


def month_start(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def month_spend(session: AsyncSession, ctx: TenantContext) -> Decimal:
    """This calendar month's cost so far: one row, kept by a trigger on llm_call (migration 0013)."""
    month = month_start().date()
    spent = await session.exec(
        select(col(LlmSpendMonth.cost_usd)).where(
            col(LlmSpendMonth.tenant_id) == ctx.tenant_id, col(LlmSpendMonth.month) == month
        )
    )
    return Decimal(spent.first() or 0)


async def _grouped(session: AsyncSession, key: object, since: datetime) -> list[SpendRow]:
    rows = await session.exec(
        select(  # type: ignore[call-overload]
            key,
            func.count(),
            func.count().filter(col(LlmCall.status) != AttemptStatus.OK),
            func.coalesce(func.sum(LlmCall.tokens_in), 0),
            func.coalesce(func.sum(LlmCall.tokens_out), 0),
            func.coalesce(func.sum(LlmCall.cost_usd), 0),
        )
        .where(col(LlmCall.created_at) >= since)
        .group_by(key)
        .order_by(key)
    )
    return [SpendRow(str(k), int(n), int(f), int(i), int(o), Decimal(c)) for k, n, f, i, o, c in rows]


async def spend_by_provider(session: AsyncSession, ctx: TenantContext) -> list[SpendRow]:
    """This calendar month (UTC), per provider, failed attempts included in the counts."""
    return await _grouped(session, col(LlmCall.provider), month_start())


async def spend_by_day(session: AsyncSession, ctx: TenantContext, days: int = 30) -> list[SpendRow]:
    since = (utcnow() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    day = cast(func.timezone("UTC", col(LlmCall.created_at)), Date)
    return await _grouped(session, day, since)


def usd(amount: Decimal) -> str:
    """An amount in words a person can read: $12.50, $0.0123, "less than $0.0001", never $0.0000."""
    if amount == 0:
        return "$0"
    if abs(amount) < Decimal("0.0001"):
        return "less than $0.0001"
    return f"${amount:,.4f}" if abs(amount) < 1 else f"${amount:,.2f}"
