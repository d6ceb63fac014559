"""The MCP server at /mcp, for coding agents (the official ``mcp`` SDK, streamable HTTP).

Agents connect with the same API tokens as the REST API (``Authorization: Bearer nyx_…``): the
token gate in front (v1/gate.py) resolves the member and tenant, counts the call against the
tenant's rate limit and puts the caller on the request, where every tool finds it. Tools act
through the same services as the pages and the API, so scopes, roles and row-level security all
apply; a refusal comes back as a tool error in words.

Stateless (``stateless_http``): no session lives in one process, so any app process answers any
request (several processes behind a load balancer need no sticky sessions). ``json_response``:
answers are plain JSON, not a stream. ``wait_for_run`` waits on the live hub (NOTIFY), not a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import ASGIApp

from nyx_app.api.v1.gate import TokenGate
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live.hub import hub
from nyx_app.models.run import NO_ITEM, RunStatus, StepRun
from nyx_app.services import api_reads, audit, memory, notes
from nyx_app.services.api_tokens import Caller
from nyx_app.services.audit import Via
from nyx_app.services.errors import ServiceError
from nyx_app.services.permissions import Scope
from nyx_app.services.reports.store import get_report
from nyx_app.services.runs import control
from nyx_app.services.runs.views import run_view

INSTRUCTIONS = """nyxCore holds a team's projects, notes, memory and LLM workflows. Search the workspace,
read and write notes and memory entries, list a project's latest implementation plans and the
prompts written for coding agents, start a workflow and wait for its result. Reports are
resources: nyx://reports/{report_id}."""
WAIT_MAX_S = 600.0
OUTPUT_MAX = 200_000


def _caller(ctx: Context[Any, Any]) -> Caller:
    request = ctx.request_context.request
    caller = getattr(request, "scope", {}).get("state", {}).get("caller") if request is not None else None
    if caller is None:
        raise ToolError("Not signed in: send an API token as 'Authorization: Bearer nyx_…'.")
    return caller


def _need(caller: Caller, scope: Scope) -> None:
    if not caller.has(scope):
        raise ToolError(f"This API token was not given the {scope.value!r} scope, which this tool needs.")


@contextlib.asynccontextmanager
async def _session(caller: Caller) -> AsyncIterator[AsyncSession]:
    """One transaction in the caller's tenant; services' refusals become tool errors in words."""
    try:
        async with transaction(caller.ctx.tenant_id, caller.ctx.user_id) as session:
            yield session
    except ServiceError as refused:
        raise ToolError(refused.message) from None


async def _record(session: AsyncSession, caller: Caller, what: str, object_type: str, object_id: Any) -> None:
    await audit.record(
        session,
        caller.ctx,
        audit.AuditAction.API_WRITE,
        object_type=object_type,
        object_id=str(object_id),
        object_label=f"MCP {what}",
    )


def build_server() -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("nyxCore", instructions=INSTRUCTIONS, version="1")

    @server.tool(
        description="Search the workspace (notes, memory, insights, run outputs, reports) by meaning and by words; "
        "best matches first."
    )
    async def search(query: str, ctx: Context[Any, Any], limit: int = 10) -> list[dict[str, Any]]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        hits = await api_reads.search(caller.ctx, query, limit)
        return [
            {
                "kind": h.kind,
                "id": str(h.id),
                "project_id": str(h.project_id or ""),
                "title": h.title,
                "excerpt": h.excerpt,
                "matched_by": h.matched_by,
            }
            for h in hits
        ]

    @server.tool(description="List the workspace's projects (id, name, description).")
    async def list_projects(ctx: Context[Any, Any]) -> list[dict[str, str]]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        async with _session(caller) as session:
            page = await api_reads.projects(session, caller.ctx, None, 100)
        return [{"id": str(p.id), "name": p.name, "description": p.description} for p in page.items]

    @server.tool(description="Read a note (Markdown) by its id.")
    async def read_note(note_id: str, ctx: Context[Any, Any]) -> dict[str, Any]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        async with _session(caller) as session:
            note = await notes.get_note(session, caller.ctx, note_id)
        return {
            "id": str(note.id),
            "project_id": str(note.project_id),
            "title": note.title,
            "content": note.content,
            "version": note.version,
        }

    @server.tool(
        description="Write a note: without note_id a new note in the project; with note_id a new version "
        "of that note (base_version: the version you read; a newer one means someone else changed it)."
    )
    async def write_note(
        ctx: Context[Any, Any],
        title: str,
        content: str,
        project_id: str = "",
        note_id: str = "",
        base_version: int = 0,
    ) -> dict[str, Any]:
        caller = _caller(ctx)
        _need(caller, Scope.WRITE)
        async with _session(caller) as session:
            if note_id:
                note = await notes.save_note(
                    session, caller.ctx, note_id, title=title, content=content, base_version=base_version
                )
            elif project_id:
                note = await notes.create_note(session, caller.ctx, project_id, title, content)
            else:
                raise ToolError("Give project_id (a new note) or note_id (a new version of a note).")
            await _record(session, caller, "write_note", "note", note.id)
        return {"id": str(note.id), "project_id": str(note.project_id), "version": note.version}

    @server.tool(description="Search memory entries (full text or a tag); newest first without a query.")
    async def read_memory(
        ctx: Context[Any, Any], query: str = "", project_id: str = "", limit: int = 20
    ) -> list[dict[str, Any]]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        async with _session(caller) as session:
            page = await api_reads.memory_entries(
                session, caller.ctx, query=query, project_id=project_id or None, limit=max(1, min(limit, 100))
            )
        return [{"id": str(e.id), "title": e.title, "content": e.content, "tags": e.tags} for e in page.items]

    @server.tool(description="Add a memory entry (a finding, a decision, a convention) to the workspace.")
    async def write_memory(
        ctx: Context[Any, Any], title: str, content: str, tags: list[str] | None = None, project_id: str = ""
    ) -> dict[str, str]:
        caller = _caller(ctx)
        _need(caller, Scope.WRITE)
        async with _session(caller) as session:
            entry = await memory.create_entry(
                session, caller.ctx, title=title, content=content, tags=tags or [], project_id=project_id or None
            )
            await _record(session, caller, "write_memory", "memory_entry", entry.id)
        return {"id": str(entry.id)}

    @server.tool(
        description="The implementation plans (one per action point) and the final prompts of a project's "
        "latest successful workflow runs."
    )
    async def latest_plans(project_id: str, ctx: Context[Any, Any], runs: int = 1) -> list[dict[str, Any]]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        async with _session(caller) as session:
            found = await api_reads.latest_plans(session, caller.ctx, project_id, runs)
        return [
            {
                "run_id": str(r.run_id),
                "title": r.title,
                "finished_at": r.finished_at,
                "plans": [{"step": p.step, "item": p.item_index, "label": p.label, "text": p.text} for p in r.plans],
                "prompts": [{"step": p.step, "text": p.text} for p in r.prompts],
            }
            for r in found
        ]

    @server.tool(description="List a project's workflows (id, name, description).")
    async def list_workflows(project_id: str, ctx: Context[Any, Any]) -> list[dict[str, str]]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        async with _session(caller) as session:
            page = await api_reads.workflows(session, caller.ctx, project_id, None, 100)
        return [{"id": str(w.id), "name": w.name, "description": w.description} for w in page.items]

    @server.tool(
        description="Start a workflow run. With wait=true, wait (up to wait_seconds) until it finishes or "
        "stops for a review, and return its result."
    )
    async def start_workflow(
        workflow_id: str, ctx: Context[Any, Any], wait: bool = False, wait_seconds: float = 300
    ) -> dict[str, Any]:
        caller = _caller(ctx)
        _need(caller, Scope.RUNS)
        async with _session(caller) as session:
            run = await control.start_workflow_run(session, caller.ctx, workflow_id)
            await _record(session, caller, "start_workflow", "run", run.id)
            run_id = str(run.id)
        if wait:
            return await _wait(caller, run_id, wait_seconds)
        return await _result(caller, run_id)

    @server.tool(description="Wait (up to wait_seconds) until a run finishes or waits for a review; its result.")
    async def wait_for_run(run_id: str, ctx: Context[Any, Any], wait_seconds: float = 300) -> dict[str, Any]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        return await _wait(caller, run_id, wait_seconds)

    @server.tool(description="A run's status and, once done, each step's output.")
    async def get_run(run_id: str, ctx: Context[Any, Any]) -> dict[str, Any]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        return await _result(caller, run_id)

    @server.tool(description="List a project's reports (id, kind, title); read one as nyx://reports/{id}.")
    async def list_reports(project_id: str, ctx: Context[Any, Any]) -> list[dict[str, str]]:
        caller = _caller(ctx)
        _need(caller, Scope.READ)
        async with _session(caller) as session:
            page = await api_reads.reports(session, caller.ctx, project_id, None, 100)
        return [{"id": str(r.id), "kind": r.kind, "title": r.title, "uri": f"nyx://reports/{r.id}"} for r in page.items]

    @server.resource(
        "nyx://reports/{report_id}", name="report", mime_type="text/markdown", description="A report's Markdown."
    )
    async def report(report_id: str, ctx: Context[Any, Any]) -> str:
        caller = _caller(ctx)
        if not caller.has(Scope.READ):
            raise ResourceNotFoundError("This token has no read scope.")
        try:
            async with transaction(caller.ctx.tenant_id, caller.ctx.user_id) as session:
                found = await get_report(session, caller.ctx, report_id)
                await audit.record(
                    session,
                    caller.ctx,
                    audit.AuditAction.EXPORTED,
                    object_type="report",
                    object_id=found.id,
                    object_label=found.title,
                    details={"format": "mcp"},
                )
        except ServiceError as refused:
            raise ResourceNotFoundError(refused.message) from None
        return found.markdown

    return server


async def _result(caller: Caller, run_id: str) -> dict[str, Any]:
    async with _session(caller) as session:
        view = await run_view(session, caller.ctx, run_id)
        run = await control.get_run(session, caller.ctx, run_id)
        outputs: dict[str, Any] = {}
        if RunStatus(run.status).finished or run.status == RunStatus.WAITING.value:
            rows = await session.exec(
                select(StepRun).where(StepRun.run_id == run.id).order_by(col(StepRun.key), col(StepRun.item_index))
            )
            for r in rows:
                text = r.output[:OUTPUT_MAX]
                if r.item_index == NO_ITEM:
                    outputs.setdefault(r.key, {})["output"] = text
                else:
                    outputs.setdefault(r.key, {}).setdefault("items", []).append({"label": r.label, "output": text})
    return {
        "run_id": run_id,
        "status": view.status,
        "error": view.error,
        "steps": [{"key": s.key, "status": s.status, "error": s.error} for s in view.steps],
        "outputs": outputs,
        "cost_usd": str(view.cost_usd),
    }


async def _wait(caller: Caller, run_id: str, wait_seconds: float) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + max(0.0, min(wait_seconds, WAIT_MAX_S))
    async with hub().watch(RUNS_CHANNEL, run_id) as changed:
        while True:
            changed.clear()
            async with _session(caller) as session:
                status = RunStatus((await control.get_run(session, caller.ctx, run_id)).status)
            left = deadline - asyncio.get_running_loop().time()
            if status.finished or status is RunStatus.WAITING or left <= 0:
                return await _result(caller, run_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(left, 10.0))


@dataclass
class McpEndpoint:
    """The ASGI app to mount at /mcp (behind the token gate) and the lifespan its sessions need."""

    server: MCPServer[Any]
    manager: StreamableHTTPSessionManager
    app: ASGIApp

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield


def build_endpoint() -> McpEndpoint:
    server = build_server()
    # Builds the session manager (the returned Starlette app, with its own routing, is not used):
    # the token gate already refuses every request without a valid token; the SDK's DNS-rebinding
    # check (for servers without auth on localhost) would refuse this app's real host names.
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager = server.session_manager
    gated = TokenGate(StreamableHTTPASGIApp(manager), via=Via.MCP, multipart=False, audit_writes=False)
    return McpEndpoint(server, manager, gated)
