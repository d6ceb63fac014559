"""The monthly budget holds under parallel calls: each call reserves its worst-case cost first.

Before an attempt is sent, ``reserve`` checks what the month has cost (``llm_spend_month``) plus
what the calls in flight may still cost (their ``llm_reservation`` rows) plus this call's worst
case, under a per-tenant lock, and records the reservation. The transaction that logs the attempt
deletes it (``settle_statement``), so the spend and the reservation change hands at once; a
reservation whose worker died expires. Thirteen fan-out items asking at once thus see each
other's reservations instead of the same old spend: they cannot overshoot together.

A call that would fit once the calls in flight have settled (their real cost is usually far below
their worst case) waits for them, for at most ``llm_budget_wait_seconds``; one that cannot fit is
refused with the budget message. A model whose price is unknown reserves nothing (its cost cannot
be known either); it is refused only once the budget is used up.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Select, Uuid, bindparam, delete, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.pipeline import Bound, Compiled
from nyx_app.db.queue import advisory_xact_lock
from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmReservation, LlmSpendMonth
from nyx_app.services.context import TenantContext
from nyx_app.services.llm.errors import BudgetExceeded
from nyx_app.services.llm.spend import month_start, usd
from nyx_app.settings import get_settings

RETRY_EVERY_S = (0.1, 1.0)  # first and longest pause between tries while calls in flight settle


@dataclass(frozen=True, slots=True)
class Reservation:
    id: uuid.UUID
    amount: Decimal


def _held() -> Select[Decimal, Decimal]:
    """What the month has cost so far and what calls in flight hold, read in one snapshot."""
    spent = (
        select(func.coalesce(func.sum(LlmSpendMonth.cost_usd), 0))
        .where(col(LlmSpendMonth.month) == month_start().date())
        .scalar_subquery()
    )
    reserved = (
        select(func.coalesce(func.sum(LlmReservation.amount_usd), 0))
        .where(col(LlmReservation.expires_at) > func.now())
        .scalar_subquery()
    )
    return select(spent, reserved)


async def _try(
    session: AsyncSession,
    ctx: TenantContext,
    call_id: uuid.UUID,
    amount: Decimal | None,
    budget: Decimal,
    hold_s: float,
) -> tuple[bool, Reservation | None, Decimal, Decimal]:
    """One try under the tenant's lock: whether the call may go, its reservation, spent, reserved."""
    await advisory_xact_lock(session, f"llm-budget:{ctx.tenant_id}")
    await session.execute(delete(LlmReservation).where(col(LlmReservation.expires_at) <= func.now()))
    spent, reserved = (await session.execute(_held())).one()
    spent, reserved = Decimal(spent), Decimal(reserved)
    if amount is None:  # unknown price: nothing to hold, but nothing goes out past a used-up budget
        return spent + reserved < budget, None, spent, reserved
    if spent + reserved + amount > budget:
        return False, None, spent, reserved
    row = LlmReservation(
        tenant_id=ctx.tenant_id, call_id=call_id, amount_usd=amount, expires_at=utcnow() + timedelta(seconds=hold_s)
    )
    session.add(row)
    await session.flush()
    return True, Reservation(row.id, amount), spent, reserved


async def reserve(
    ctx: TenantContext,
    call_id: uuid.UUID,
    amount: Decimal | None,
    budget: Decimal,
    model_ref: str,
    *,
    hold_s: float,
) -> Reservation | None:
    """Reserve ``amount`` (the call's worst case; None: its price is unknown, nothing is held) for
    ``hold_s`` seconds, waiting while calls in flight may make room. Raises BudgetExceeded."""
    deadline = time.monotonic() + get_settings().llm_budget_wait_seconds
    pause, longest = RETRY_EVERY_S
    while True:
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            fits, held, spent, reserved = await _try(session, ctx, call_id, amount, budget, hold_s)
        if fits:
            return held
        fits_later = amount is not None and reserved > 0 and spent + amount <= budget
        if not fits_later or time.monotonic() + pause > deadline:
            raise BudgetExceeded(refusal(budget, spent, reserved, amount, model_ref))
        await asyncio.sleep(pause)
        pause = min(pause * 2, longest)


def refusal(budget: Decimal, spent: Decimal, reserved: Decimal, amount: Decimal | None, model_ref: str) -> str:
    left, whole = budget - spent - reserved, f"${budget:,.2f}"  # a budget is set in cents
    in_flight = f" ({usd(reserved)} of it is held by calls in progress)" if reserved > 0 else ""
    fix = "Nothing was sent. An owner or admin can raise the budget in Settings → Providers."
    if left <= 0 or amount is None:
        return (
            f"Monthly LLM budget reached: {usd(spent + reserved)} of the {whole} budget is used this month"
            f"{in_flight}. {fix}"
        )
    return (
        f"Monthly LLM budget reached: this call to {model_ref} could cost up to {usd(amount)}, but only "
        f"{usd(left)} of the {whole} budget is left this month{in_flight}. {fix}"
    )


_SETTLE_BY_ID = Compiled(
    delete(LlmReservation).where(col(LlmReservation.id) == bindparam("reservation_id", type_=Uuid()))
)


async def settle(session: AsyncSession, reservation: Reservation | None) -> None:
    """In the transaction that logs the call's attempt: its reservation goes."""
    if reservation is not None:
        await session.execute(delete(LlmReservation).where(col(LlmReservation.id) == reservation.id))


def settle_statement(reservation: Reservation | None) -> list[Bound]:
    """``settle`` as a statement for a transaction sent in one round trip (``db.pipeline``)."""
    return [_SETTLE_BY_ID.bind({"reservation_id": reservation.id})] if reservation is not None else []
