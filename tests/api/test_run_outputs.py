"""A run step's answer as a Markdown download: 401 signed out, 404 for another tenant's run."""

from __future__ import annotations

import httpx
from sqlmodel import select

from nyx_app import routes
from nyx_app.db.session import transaction
from nyx_app.models.run import NO_ITEM, StepRun
from tests.api.test_reports import as_user
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import workspace
from tests.services.reports.helpers import flagship_run

__all__ = ["_fake_llm_server", "fake_llm"]


async def test_the_final_prompt_downloads_for_its_tenant_only(
    tenants: TenantFactory, fake_llm: FakeLLM, web: httpx.AsyncClient
) -> None:
    ws, other = await workspace(tenants, fake_llm), await workspace(tenants, fake_llm)
    run_id = await flagship_run(ws, fake_llm, points=1)
    async with transaction(ws.ctx.tenant_id) as s:
        final = select(StepRun).where(StepRun.run_id == run_id, StepRun.key == "final", StepRun.item_index == NO_ITEM)
        row = (await s.exec(final)).one()
    url = routes.run_output_download_url(str(run_id), str(row.id))

    got = await web.get(url, headers=as_user(ws))
    assert got.status_code == 200 and got.text.startswith("# Final implementation prompt")
    assert got.headers["content-disposition"] == 'attachment; filename="image-to-implementation-final.md"'
    assert got.headers["content-type"].startswith("text/markdown")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert (await web.get(url)).status_code == 401
    assert (await web.get(url, headers=as_user(other))).status_code == 404
    assert (await web.get(routes.run_output_download_url(str(run_id), "nope"), headers=as_user(ws))).status_code == 404
