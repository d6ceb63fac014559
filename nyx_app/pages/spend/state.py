"""State of the Spend page: one read per change of period or grouping, the chart's rows pivoted
here (one row per day, one column per series), the totals beside it, and the CSV on request."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import reflex as rx

from nyx_app.services.llm import spend_report
from nyx_app.services.llm.spend_report import SpendBy, SpendPoint
from nyx_app.services.reports.text import DASH
from nyx_app.state.session import AuthState, user_action

SERIES_MAX = 7  # series drawn apart; the rest are summed as "other"
OTHER = "other"
COLORS = ["var(--indigo-9)", "var(--teal-9)", "var(--amber-9)", "var(--crimson-9)", "var(--grass-9)",
          "var(--violet-9)", "var(--sky-9)", "var(--gray-9)"]  # fmt: skip


@dataclasses.dataclass
class SeriesRow:
    key: str  # the chart's column: s0, s1, ...
    name: str
    color: str


@dataclasses.dataclass
class TotalRow:
    name: str
    calls: str
    failed: str
    tokens: str
    cost: str
    share: str


def money(amount: Decimal) -> str:
    return f"${amount:,.2f}" if amount >= Decimal("0.01") or amount == 0 else f"${amount:.4f}"


def chart_rows(points: list[SpendPoint], period: spend_report.Period) -> tuple[list[dict[str, Any]], list[SeriesRow]]:
    """Every day of the period (empty days at 0), the biggest series apart, the others together."""
    ranked = [t.series for t in spend_report.totals(points)]
    # Eight series fit; with more, the seven biggest are drawn apart and the rest as "other".
    named = ranked if len(ranked) <= SERIES_MAX + 1 else ranked[:SERIES_MAX]
    keys = {name: f"s{i}" for i, name in enumerate(named)}
    series = [SeriesRow(keys[n], n, COLORS[i % len(COLORS)]) for i, n in enumerate(named)]
    if len(ranked) > len(named):
        keys |= {name: f"s{len(named)}" for name in ranked[len(named) :]}
        series.append(SeriesRow(f"s{len(named)}", OTHER, COLORS[-1]))
    by_day: dict[str, dict[str, Any]] = {
        d.isoformat(): {"day": d.strftime("%b %d"), **{s.key: 0.0 for s in series}} for d in period.days
    }
    for p in points:
        row = by_day.get(p.day.isoformat())
        if row is not None:
            row[keys[p.series]] = round(row[keys[p.series]] + float(p.cost_usd), 6)
    return list(by_day.values()), series


def total_rows(points: list[SpendPoint]) -> tuple[list[TotalRow], str]:
    rows = spend_report.totals(points)
    grand = sum((t.cost_usd for t in rows), Decimal(0))
    return [
        TotalRow(
            t.series,
            f"{t.calls:,}",
            f"{t.failed:,}",
            f"{t.tokens_in:,} / {t.tokens_out:,}",
            money(t.cost_usd),
            f"{(100 * t.cost_usd / grand):.0f}%" if grand else DASH,
        )
        for t in rows
    ], money(grand)


class SpendState(AuthState):
    loaded: bool = False
    days: str = "30"
    by: str = SpendBy.PROVIDER.value
    chart: list[dict[str, Any]] = []
    series: list[SeriesRow] = []
    totals: list[TotalRow] = []
    total_cost: str = ""
    calls: int = 0

    @rx.var
    def calls_label(self) -> str:
        return f"{self.calls:,} attempt{'s' if self.calls != 1 else ''}"

    async def _points(self) -> tuple[list[SpendPoint], spend_report.Period]:
        period = spend_report.last_days(int(self.days))
        by = SpendBy(self.by)
        return await self._in_tenant(lambda s, c: spend_report.daily(s, c, period, by)), period

    async def _reload(self) -> None:
        points, period = await self._points()
        self.chart, self.series = chart_rows(points, period)
        self.totals, self.total_cost = total_rows(points)
        self.calls = sum(p.calls for p in points)
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        await self._reload()

    @rx.event
    @user_action
    async def set_days(self, value: str):
        if value in {str(d) for d in spend_report.PERIODS}:
            self.days = value
            await self._reload()

    @rx.event
    @user_action
    async def set_by(self, value: str | list[str]):
        if isinstance(value, str) and value in {b.value for b in SpendBy}:
            self.by = value
            await self._reload()

    @rx.event
    @user_action
    async def export_csv(self):
        points, period = await self._points()
        text = spend_report.to_csv(points, SpendBy(self.by))
        name = f"nyxcore-spend-by-{self.by}-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"
        return rx.download(data=text, filename=name, mime_type="text/csv")
