"""Spend over time: cost per day by provider or by project, totals for a period, and the same as CSV.

Every attempt is a ``llm_call`` row (failed ones too, at the cost the provider charged). A call
belongs to a project when a run's step made it (``step_run.call_ids``); calls made outside a run
(a provider's Test button, a probe) are counted under "not in a project". Read under RLS, summed
in SQL: the page receives one row per day and series, never the calls.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, cast, func, literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.llm import AttemptStatus, LlmCall
from nyx_app.models.project import Project
from nyx_app.models.run import Run, StepRun
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput

NO_PROJECT = "not in a project"
PERIODS = (7, 30, 90)  # days the page offers
DAYS_MAX = 366


class SpendBy(StrEnum):
    PROVIDER = "provider"
    PROJECT = "project"


@dataclass(frozen=True, slots=True)
class SpendPoint:
    day: date
    series: str  # a provider's name, or a project's
    calls: int
    failed: int
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal


@dataclass(frozen=True, slots=True)
class SpendTotal:
    series: str
    calls: int
    failed: int
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def last_days(days: int, today: date | None = None) -> Period:
    if not 1 <= days <= DAYS_MAX:
        raise InvalidInput(f"Choose a period of 1 to {DAYS_MAX} days.")
    end = today or utcnow().date()
    return Period(end - timedelta(days=days - 1), end)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=utcnow().tzinfo)


async def daily(session: AsyncSession, ctx: TenantContext, period: Period, by: SpendBy) -> list[SpendPoint]:
    """One point per day and series that had any call, ordered by day then series."""
    since, until = _start(period.first), _start(period.last + timedelta(days=1))
    day = cast(func.timezone("UTC", col(LlmCall.created_at)), Date)
    series: Any
    if by == SpendBy.PROVIDER:
        series = col(LlmCall.provider)
        joined: Any = select(day.label("day"), series.label("series"))
    else:
        # The calls of each run step in the period, with the step's project (a step's calls are
        # made while it runs, so it started before the period ended).
        owners = (
            select(func.unnest(col(StepRun.call_ids)).label("call_id"), col(Project.name).label("project"))
            .join(Run, col(Run.id) == col(StepRun.run_id))
            .join(Project, col(Project.id) == col(Run.project_id))
            .where(col(StepRun.started_at) < until)
            .subquery()
        )
        series = func.coalesce(owners.c.project, literal(NO_PROJECT))
        joined = select(day.label("day"), series.label("series")).outerjoin(
            owners, owners.c.call_id == col(LlmCall.call_id)
        )
    rows = await session.exec(
        joined.add_columns(
            func.count(),
            func.count().filter(col(LlmCall.status) != AttemptStatus.OK),
            func.coalesce(func.sum(LlmCall.tokens_in), 0),
            func.coalesce(func.sum(LlmCall.tokens_out), 0),
            func.coalesce(func.sum(LlmCall.cost_usd), 0),
        )
        .where(col(LlmCall.created_at) >= since, col(LlmCall.created_at) < until)
        .group_by(day, series)
        .order_by(day, series)
    )
    return [SpendPoint(d, str(s), int(n), int(f), int(i), int(o), Decimal(c)) for d, s, n, f, i, o, c in rows]


def totals(points: list[SpendPoint]) -> list[SpendTotal]:
    """Per series over the whole period, the most expensive first."""
    sums: dict[str, list[int | Decimal]] = {}
    for p in points:
        acc = sums.setdefault(p.series, [0, 0, 0, 0, Decimal(0)])
        acc[0] += p.calls
        acc[1] += p.failed
        acc[2] += p.tokens_in
        acc[3] += p.tokens_out
        acc[4] += p.cost_usd
    rows = [SpendTotal(k, int(v[0]), int(v[1]), int(v[2]), int(v[3]), Decimal(v[4])) for k, v in sums.items()]
    return sorted(rows, key=lambda t: (-t.cost_usd, t.series))


def to_csv(points: list[SpendPoint], by: SpendBy) -> str:
    """The points as CSV (UTC days), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", by.value, "calls", "failed", "tokens_in", "tokens_out", "cost_usd"])
    for p in points:
        # A name starting with = + - @ would be a formula in a spreadsheet: keep it text.
        name = f"'{p.series}" if p.series[:1] in ("=", "+", "-", "@", "\t", "\r") else p.series
        writer.writerow([p.day.isoformat(), name, p.calls, p.failed, p.tokens_in, p.tokens_out, f"{p.cost_usd:.8f}"])
    return out.getvalue()
