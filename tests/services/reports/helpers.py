"""Set-up for the report tests: a workspace on the fake LLM with notes, a screenshot, a memory entry
and a finished flagship run; and small shortcuts to act and read in the tenant."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import transaction
from nyx_app.models.report import Report
from nyx_app.services import memory
from nyx_app.services.context import TenantContext
from nyx_app.services.workflows.builtin import FLAGSHIP
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, Workspace, run_to_end, start, workflow


async def act(ws: Workspace, action: Callable[[AsyncSession, TenantContext], Awaitable[Any]]) -> Any:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return await action(s, ws.ctx)


async def report_row(ws: Workspace, report_id: uuid.UUID | str) -> Report:
    async with transaction(ws.ctx.tenant_id) as s:
        found = await s.get(Report, uuid.UUID(str(report_id)))
    assert found is not None
    return found


async def remember(ws: Workspace, title: str, content: str) -> None:
    await act(
        ws,
        lambda s, c: memory.create_entry(
            s, c, title=title, content=content, tags="pitfall", project_id=str(ws.project_id)
        ),
    )


async def flagship_run(ws: Workspace, fake: FakeLLM, points: int = 3) -> uuid.UUID:
    """The shipped image-to-implementation workflow, run to its end against the fake model."""
    fake.script(MODEL, then=respond(flagship(points)))
    run_id = await start(ws, await workflow(ws, template=FLAGSHIP))
    run = await run_to_end(ws, run_id)
    assert run.status == "succeeded", run.error
    return run_id
