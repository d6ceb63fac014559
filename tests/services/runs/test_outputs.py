"""A step's or a plan's whole answer, to copy and to download as Markdown: for the run's tenant
only; JSON answers come with their table and their raw JSON."""

from __future__ import annotations

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.run import NO_ITEM, StepRun
from nyx_app.services.errors import NotFound
from nyx_app.services.runs import outputs
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import Workspace, workspace
from tests.services.reports.helpers import flagship_run


async def _rows(ws: Workspace, run_id) -> dict[tuple[str, int], StepRun]:  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id) as s:
        return {(r.key, r.item_index): r for r in await s.exec(select(StepRun).where(StepRun.run_id == run_id))}


async def _file(ws: Workspace, run_id, row_id) -> outputs.OutputFile:  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return await outputs.output_file(s, ws.ctx, run_id, row_id)


async def test_final_prompt_plan_and_action_points_as_files(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await flagship_run(ws, fake_llm, points=3)
    rows = await _rows(ws, run_id)

    final = await _file(ws, run_id, rows[("final", NO_ITEM)].id)
    assert final.filename == "image-to-implementation-final.md"
    assert final.text == rows[("final", NO_ITEM)].output
    assert final.markdown.startswith("# Final implementation prompt\n\nFinal implementation prompt: implement")

    plan = await _file(ws, run_id, rows[("plan", 1)].id)
    assert plan.filename == "image-to-implementation-plan-2.md"
    assert plan.markdown.startswith("# Implementation plan 2: Action 2\n\nPlan 2: Action 2")

    points = await _file(ws, run_id, rows[("action_points", NO_ITEM)].id)
    assert "| # | Title | Description | Notes | Images |" in points.markdown
    assert points.markdown.rstrip().endswith("```")  # the raw JSON follows the table
    assert '"title": "Action 3"' in points.markdown and points.text.startswith("[")


async def test_another_tenant_gets_not_found(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws, other = await workspace(tenants, fake_llm), await workspace(tenants, fake_llm)
    run_id = await flagship_run(ws, fake_llm, points=1)
    row = (await _rows(ws, run_id))[("final", NO_ITEM)]
    with pytest.raises(NotFound):
        await _file(other, run_id, row.id)
