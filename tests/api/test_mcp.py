"""The MCP server, used the way a coding agent uses it: the SDK's own client over streamable HTTP
with an API token. It lists the tools, searches, starts a workflow, waits for it and reads the
result; tokens and scopes hold here exactly as on the REST API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.routing import Route

from nyx_app.api.mcp_server import build_endpoint
from nyx_app.db.session import transaction
from nyx_app.jobs.worker import run_worker
from nyx_app.models.report import ReportKind
from nyx_app.services import memory
from nyx_app.services.reports.store import save_report
from tests.api.api_helpers import token_for
from tests.api.live_server import serving
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, steps, workflow, workspace

__all__ = ["_fake_llm_server", "fake_llm"]


@pytest.fixture
async def mcp_url() -> AsyncIterator[str]:
    endpoint = build_endpoint()  # a session manager runs once per instance: one per test
    app = Starlette(routes=[Route("/mcp", endpoint=endpoint.app, methods=["GET", "POST", "DELETE"])])
    url: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def serve() -> None:
        # One task enters and leaves the session manager's task group (as the app's lifespan does).
        async with endpoint.running(), serving(app) as base:
            url.set_result(f"{base}/mcp")
            await stop.wait()

    task = asyncio.create_task(serve())
    await asyncio.wait({task, url}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    yield url.result()
    stop.set()
    await task


def agent(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(120))
    return Client(streamable_http_client(url, http_client=http))


def payload(result: Any) -> Any:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if isinstance(content, dict) else content
    return json.loads(result.content[0].text)


async def test_an_agent_lists_tools_searches_starts_a_run_and_reads_its_result(
    tenants: TenantFactory, fake_llm: FakeLLM, mcp_url: str
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await memory.create_entry(s, ws.ctx, title="Deploy checklist", content="Run migrations before deploying.")
        await save_report(
            s, ws.ctx, project_id=ws.project_id, kind=ReportKind.OVERVIEW, title="Overview", body="# Plan"
        )
    fake_llm.script(MODEL, then=respond(lambda prompt: "Implementation prompt: fix the login page."))
    wf = await workflow(ws, definition=steps({"key": "prompt", "name": "Prompt", "prompt": "Write it: {{notes}}"}))
    token = await token_for(ws.account, ["read", "write", "runs"])

    worker = asyncio.create_task(run_worker(in_web_process=True))  # the app's own in-process worker
    try:
        async with agent(mcp_url, token) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert {
                "search",
                "read_note",
                "write_note",
                "read_memory",
                "write_memory",
                "latest_plans",
                "start_workflow",
                "wait_for_run",
            } <= tools
            hits = payload(await client.call_tool("search", {"query": "deploy migrations"}))
            assert [h["title"] for h in hits] == ["Deploy checklist"]
            note = payload(
                await client.call_tool(
                    "write_note",
                    {"project_id": str(ws.project_id), "title": "From the agent", "content": "Done: login"},
                )
            )
            read = payload(await client.call_tool("read_note", {"note_id": note["id"]}))
            assert read["content"] == "Done: login"
            result = payload(
                await client.call_tool("start_workflow", {"workflow_id": str(wf), "wait": True, "wait_seconds": 120})
            )
            assert result["status"] == "succeeded", result
            assert result["outputs"]["prompt"]["output"] == "Implementation prompt: fix the login page."
            plans = payload(await client.call_tool("latest_plans", {"project_id": str(ws.project_id)}))
            assert plans[0]["prompts"][0]["text"].startswith("Implementation prompt")
            reports = payload(await client.call_tool("list_reports", {"project_id": str(ws.project_id)}))
            resource = await client.read_resource(reports[0]["uri"])
            assert resource.contents[0].text == "# Plan"
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_the_agent_s_token_is_held_to_its_scopes_and_its_tenant(tenants: TenantFactory, mcp_url: str) -> None:
    owner = await tenants.create()
    stranger = await tenants.create()
    async with transaction(stranger.ctx.tenant_id, stranger.ctx.user_id) as s:
        entry = await memory.create_entry(s, stranger.ctx, title="Stranger's secret", content="hidden")
    read_only = await token_for(owner, ["read"])
    async with agent(mcp_url, read_only) as client:
        refused = await client.call_tool("write_memory", {"title": "x", "content": "y"})
        assert refused.is_error and "'write' scope" in refused.content[0].text
        assert payload(await client.call_tool("search", {"query": "secret"})) == []
        missing = await client.call_tool("read_note", {"note_id": str(entry.id)})
        assert missing.is_error and "not found" in missing.content[0].text
    async with httpx2.AsyncClient() as raw:
        answer = await raw.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert answer.status_code == 401 and answer.headers["content-type"].startswith("application/problem+json")
