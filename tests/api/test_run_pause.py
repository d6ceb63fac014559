"""Pausing and resuming a run over the public API, through the same services as the run page: the
``runs`` scope is needed, another workspace's run is not found, a bad mode and a run that cannot
pause (finished, already paused) get a clear problem, and a paused run resumes to its end."""

from __future__ import annotations

import httpx

from nyx_app.models.run import RunStatus
from nyx_app.models.tenancy import Role
from nyx_app.services.engine.executor import execute
from tests.api.api_helpers import bearer, token_for
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, load_run, start, steps, workflow, workspace

__all__ = ["_fake_llm_server", "fake_llm"]
PROBLEM = "application/problem+json"
CHAIN = steps({"key": "a", "name": "A", "prompt": "A {{notes}}"}, {"key": "b", "name": "B", "prompt": "B"})


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return str(response.json()["detail"])


async def test_pause_and_resume_a_run_through_the_api(
    api_client: httpx.AsyncClient, tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    fake_llm.script(MODEL, then=respond(lambda p: "done"))
    run_id = await start(ws, await workflow(ws, definition=CHAIN))
    member = await tenants.join(ws.account, Role.MEMBER)
    auth = bearer(await token_for(member, ["read", "runs"]))  # a member steering a colleague's run

    bad = await api_client.post(f"/api/v1/runs/{run_id}/pause", json={"mode": "later"}, headers=auth)
    assert "finish first or stop now" in problem(bad, 422)
    assert (await load_run(ws, run_id)).status == RunStatus.PENDING  # nothing half-written

    paused = await api_client.post(f"/api/v1/runs/{run_id}/pause", headers=auth)  # no body: let steps finish
    assert paused.status_code == 200, paused.text
    body = paused.json()
    assert (body["status"], body["paused_by"]) == ("paused", str(member.ctx.user_id)) and body["paused_at"]
    again = await api_client.post(f"/api/v1/runs/{run_id}/pause", json={"mode": "now"}, headers=auth)
    assert "already paused" in problem(again, 409)

    await execute(ws.ctx.tenant_id, run_id)  # its queued job, taken by a worker, does nothing
    assert (await load_run(ws, run_id)).status == RunStatus.PAUSED and fake_llm.calls() == 0

    resumed = await api_client.post(f"/api/v1/runs/{run_id}/resume", headers=auth)
    assert resumed.status_code == 200 and resumed.json()["status"] == "pending"
    assert resumed.json()["paused_by"] is None
    await execute(ws.ctx.tenant_id, run_id)
    assert (await load_run(ws, run_id)).status == RunStatus.SUCCEEDED and fake_llm.calls() == 2

    finished = await api_client.post(f"/api/v1/runs/{run_id}/pause", headers=auth)
    assert "just finished" in problem(finished, 409)
    not_resumable = await api_client.post(f"/api/v1/runs/{run_id}/resume", headers=auth)
    assert "can be resumed" in problem(not_resumable, 409)


async def test_pause_and_resume_need_the_runs_scope_and_stay_in_the_workspace(
    api_client: httpx.AsyncClient, tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    run_id = await start(ws, await workflow(ws, definition=CHAIN))
    reader = bearer(await token_for(ws.account, ["read", "write"]))
    stranger = bearer(await token_for(await tenants.create()))  # every scope, another workspace
    for action in ("pause", "resume"):
        assert "'runs' scope" in problem(await api_client.post(f"/api/v1/runs/{run_id}/{action}", headers=reader), 403)
        problem(await api_client.post(f"/api/v1/runs/{run_id}/{action}", headers=stranger), 404)
        problem(await api_client.post(f"/api/v1/runs/not-an-id/{action}", headers=stranger), 404)
    run = await load_run(ws, run_id)
    assert (run.status, run.paused_by, run.pause_requested) == (RunStatus.PENDING, None, "")
