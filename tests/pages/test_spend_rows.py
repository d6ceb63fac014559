"""The Spend chart's rows: every day of the period, one column per series, the smallest summed as
"other" when there are too many to tell apart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from nyx_app.pages.spend.state import OTHER, SERIES_MAX, chart_rows, total_rows
from nyx_app.services.llm.spend_report import Period, SpendPoint


def point(day: int, series: str, cost: str) -> SpendPoint:
    return SpendPoint(date(2026, 3, day), series, 1, 0, 10, 5, Decimal(cost))


def test_empty_days_are_zero_and_series_are_ranked_by_cost() -> None:
    rows, series = chart_rows([point(2, "local", "0"), point(2, "anthropic", "1.5"), point(3, "anthropic", "0.25")],
                              Period(date(2026, 3, 1), date(2026, 3, 3)))  # fmt: skip
    assert [(s.key, s.name) for s in series] == [("s0", "anthropic"), ("s1", "local")]
    assert rows == [
        {"day": "Mar 01", "s0": 0.0, "s1": 0.0},
        {"day": "Mar 02", "s0": 1.5, "s1": 0.0},
        {"day": "Mar 03", "s0": 0.25, "s1": 0.0},
    ]
    totals, grand = total_rows([point(2, "anthropic", "1.5"), point(3, "anthropic", "0.25"), point(2, "local", "0")])
    assert grand == "$1.75" and [(t.name, t.cost, t.share) for t in totals] == [
        ("anthropic", "$1.75", "100%"),
        ("local", "$0.00", "0%"),
    ]


def test_many_projects_keep_the_biggest_apart_and_sum_the_rest() -> None:
    points = [point(1, f"p{n}", str(n + 1)) for n in range(SERIES_MAX + 3)]
    rows, series = chart_rows(points, Period(date(2026, 3, 1), date(2026, 3, 1)))
    assert len(series) == SERIES_MAX + 1 and series[-1].name == OTHER
    assert rows[0][series[-1].key] == 1.0 + 2.0 + 3.0  # the three cheapest
