"""Spend over time: per day by provider and by project (calls outside a run apart), totals, CSV —
for the tenant's own calls only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nyx_app.db.session import transaction
from nyx_app.services.errors import InvalidInput
from nyx_app.services.llm import probe, spend_report
from nyx_app.services.llm.spend_report import NO_PROJECT, SpendBy, SpendPoint
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, answer
from tests.runs_helpers import MODEL, Workspace, workspace
from tests.services.reports.helpers import flagship_run


async def _daily(ws: Workspace, by: SpendBy) -> list[SpendPoint]:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return await spend_report.daily(s, ws.ctx, spend_report.last_days(7), by)


async def test_cost_per_day_by_provider_and_by_project(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    other = await workspace(tenants, fake_llm)  # another tenant's spending is never counted
    await flagship_run(ws, fake_llm, points=2)
    await flagship_run(other, fake_llm, points=5)
    fake_llm.script(MODEL, then=answer("OK"))
    await probe.probe_provider(ws.ctx, "anthropic")  # a call outside any run

    by_provider = await _daily(ws, SpendBy.PROVIDER)
    by_project = await _daily(ws, SpendBy.PROJECT)
    assert [p.series for p in by_provider] == ["anthropic"]
    assert sorted(p.series for p in by_project) == sorted(["Onboarding", NO_PROJECT])
    # The same calls, split two ways: the same total.
    total = sum((p.cost_usd for p in by_provider), Decimal(0))
    assert total > 0 and total == sum((p.cost_usd for p in by_project), Decimal(0))
    run_calls = next(p for p in by_project if p.series == "Onboarding")
    assert run_calls.calls == 1 + 1 + 2 + 1 + 1  # enrich, points, two plans, synthesis, final
    assert next(p for p in by_project if p.series == NO_PROJECT).calls == 1

    [top, rest] = spend_report.totals(by_project)
    assert (top.series, rest.series) == ("Onboarding", NO_PROJECT)


def test_csv_has_a_header_and_keeps_formulas_out() -> None:
    from datetime import date

    points = [
        SpendPoint(date(2026, 3, 1), "anthropic", 3, 1, 100, 50, Decimal("0.0123")),
        SpendPoint(date(2026, 3, 2), "=HYPERLINK(1)", 1, 0, 10, 5, Decimal(0)),
    ]
    lines = spend_report.to_csv(points, SpendBy.PROJECT).splitlines()
    assert lines[0] == "day,project,calls,failed,tokens_in,tokens_out,cost_usd"
    assert lines[1] == "2026-03-01,anthropic,3,1,100,50,0.01230000"
    assert lines[2].startswith("2026-03-02,'=HYPERLINK(1),")


def test_periods_are_bounded() -> None:
    from datetime import date

    period = spend_report.last_days(7, today=date(2026, 3, 10))
    assert (period.first, period.last, len(period.days)) == (date(2026, 3, 4), date(2026, 3, 10), 7)
    with pytest.raises(InvalidInput):
        spend_report.last_days(0)
