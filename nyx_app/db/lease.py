"""Run leases in SQL (migration 0020): an executor claims a run, and each of its writes holds it.

``claim`` bumps the run's lease epoch (waiting for the previous holder's step transactions in
flight) and returns it; ``hold``/``hold_at_once`` start a write that must be refused when the epoch
moved, the run stopped running or the run is gone: PostgreSQL then raises SQLSTATE ``NX001`` and
the whole transaction rolls back. ``lease_lost`` recognises that error however it was wrapped.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, String, Uuid, bindparam, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.pipeline import Bound, Compiled

LEASE_LOST_SQLSTATE = "NX001"

_HOLD = select(func.nyx_hold_run(bindparam("run_id", type_=Uuid()), bindparam("epoch", type_=BigInteger())))
_HOLD_AT_ONCE = Compiled(_HOLD)
_CLAIM = select(func.nyx_claim_run(bindparam("run_id", type_=Uuid()), bindparam("holder", type_=String())))


async def claim(session: AsyncSession, run_id: uuid.UUID, holder: str) -> int | None:
    """Take the run over: its new lease epoch, or None when it is finished or gone."""
    epoch = (await session.execute(_CLAIM, {"run_id": run_id, "holder": holder})).scalar_one()
    return int(epoch) if epoch is not None else None


async def hold(session: AsyncSession, run_id: uuid.UUID, epoch: int) -> None:
    """The first statement of a fenced write in a session."""
    await session.execute(_HOLD, {"run_id": run_id, "epoch": epoch})


def hold_at_once(run_id: uuid.UUID, epoch: int) -> Bound:
    """The first statement of a fenced write sent in one round trip (``db.pipeline``)."""
    return _HOLD_AT_ONCE.bind({"run_id": run_id, "epoch": epoch})


def lease_lost(error: BaseException) -> bool:
    """Whether ``error`` (psycopg's, or SQLAlchemy's around it) is a refused hold."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) == LEASE_LOST_SQLSTATE:
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__ or current.__context__
    return False
