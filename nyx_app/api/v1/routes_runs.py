"""Workflows, runs and their steps; start, cancel, pause, resume, and follow a run live (Server-Sent
Events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from nyx_app.api.v1.deps import Cursor, Reader, create_once, limit_query, scoped, tenant_session
from nyx_app.api.v1.schemas import PageOut, PauseIn, RunOut, StepOut, WorkflowDetail, WorkflowOut
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.live.hub import hub
from nyx_app.models.run import NO_ITEM, RunStatus, StepRun
from nyx_app.services import api_reads
from nyx_app.services.api_tokens import Caller
from nyx_app.services.permissions import Scope
from nyx_app.services.runs import control, pausing, stream
from nyx_app.services.workflows.store import get_workflow

router = APIRouter()
Runner = Annotated[Caller, Depends(scoped(Scope.RUNS))]
# Without a notification, the stream re-reads this often anyway (a lost NOTIFY costs no event).
SAFETY_POLL_S = 10.0
PING_S = 15


@router.get(
    "/projects/{project_id}/workflows",
    response_model=PageOut[WorkflowOut],
    tags=["workflows"],
    summary="List a project's workflows",
)
async def list_workflows(
    project_id: str, caller: Reader, cursor: Cursor = None, limit: int = limit_query()
) -> PageOut[WorkflowOut]:
    async with tenant_session(caller) as session:
        page = await api_reads.workflows(session, caller.ctx, project_id, cursor, limit)
    return PageOut(items=[WorkflowOut.model_validate(w) for w in page.items], next_cursor=page.next_cursor)


@router.get("/workflows/{workflow_id}", response_model=WorkflowDetail, tags=["workflows"], summary="Read a workflow")
async def read_workflow(workflow_id: str, caller: Reader) -> WorkflowDetail:
    async with tenant_session(caller) as session:
        return WorkflowDetail.model_validate(await get_workflow(session, caller.ctx, workflow_id))


@router.post(
    "/workflows/{workflow_id}/runs", status_code=201, response_model=RunOut, tags=["runs"], summary="Start a run"
)
async def start_run(workflow_id: str, request: Request, caller: Runner) -> Response:
    async def make(session: AsyncSession) -> tuple[RunOut, str]:
        run = await control.start_workflow_run(session, caller.ctx, workflow_id)
        await session.refresh(run)
        return RunOut.model_validate(run), f"/api/v1/runs/{run.id}"

    return await create_once(request, caller, make)


@router.get(
    "/projects/{project_id}/runs", response_model=PageOut[RunOut], tags=["runs"], summary="List a project's runs"
)
async def list_runs(
    project_id: str, caller: Reader, cursor: Cursor = None, limit: int = limit_query()
) -> PageOut[RunOut]:
    async with tenant_session(caller) as session:
        page = await api_reads.runs(session, caller.ctx, project_id, cursor, limit)
    return PageOut(items=[RunOut.model_validate(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/runs/{run_id}", response_model=RunOut, tags=["runs"], summary="A run's status")
async def read_run(run_id: str, caller: Reader) -> RunOut:
    async with tenant_session(caller) as session:
        return RunOut.model_validate(await control.get_run(session, caller.ctx, run_id))


@router.get("/runs/{run_id}/steps", response_model=list[StepOut], tags=["runs"], summary="A run's steps and outputs")
async def read_steps(run_id: str, caller: Reader) -> list[StepOut]:
    async with tenant_session(caller) as session:
        run = await control.get_run(session, caller.ctx, run_id)
        rows = await session.exec(
            select(StepRun).where(StepRun.run_id == run.id).order_by(col(StepRun.key), col(StepRun.item_index))
        )
        order = {s["key"]: i for i, s in enumerate(run.definition.get("steps", []))}
        steps = sorted(rows, key=lambda r: (order.get(r.key, len(order)), r.item_index))
        return [
            StepOut.model_validate({**r.model_dump(), "item_index": None if r.item_index == NO_ITEM else r.item_index})
            for r in steps
        ]


@router.post("/runs/{run_id}/cancel", response_model=RunOut, tags=["runs"], summary="Cancel a run")
async def cancel_run(run_id: str, caller: Runner) -> RunOut:
    async with tenant_session(caller) as session:
        run = await control.cancel_run(session, caller.ctx, run_id)
        await session.refresh(run)
        return RunOut.model_validate(run)


@router.post("/runs/{run_id}/pause", response_model=RunOut, tags=["runs"], summary="Pause a run")
async def pause_run(run_id: str, caller: Runner, body: PauseIn | None = None) -> RunOut:
    """A queued run pauses at once; a running one starts nothing new, lets the steps in flight
    finish (``mode`` finish) or stops their calls (``now``), then frees its worker: its status
    turns ``paused`` then (``pause_requested`` says it was asked). A run that has finished, waits
    for a review or is already paused answers 409 with the reason."""
    async with tenant_session(caller) as session:
        run = await pausing.pause_run(session, caller.ctx, run_id, (body or PauseIn()).mode)
        await session.refresh(run)
        return RunOut.model_validate(run)


@router.post("/runs/{run_id}/resume", response_model=RunOut, tags=["runs"], summary="Resume a run")
async def resume_run(run_id: str, caller: Runner) -> RunOut:
    """Go on from where a paused, failed or cancelled run stopped: finished steps are kept and not
    paid again. Any other run answers 409 with the reason."""
    async with tenant_session(caller) as session:
        run = await control.resume_run(session, caller.ctx, run_id)
        await session.refresh(run)
        return RunOut.model_validate(run)


async def _read(
    caller: Caller, run_id: str, seen: stream.Vector | None, last_id: str
) -> tuple[stream.Vector, list[stream.StreamEvent], bool]:
    async with tenant_session(caller) as session:
        now = await stream.read_now(session, caller.ctx, run_id)
        if seen is None:
            seen = (stream.Vector.decode(last_id, len(now.keys)) if last_id else None) or stream.start_vector(now)
        slices = await stream.output_slices(session, stream.growth(seen, now))
    events = list(stream.events(seen, now, slices))
    return seen, events, RunStatus(now.run.status).finished


@router.get(
    "/runs/{run_id}/events",
    tags=["runs"],
    summary="Follow a run live (Server-Sent Events; resumable with Last-Event-ID)",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "The event stream."}
    },
)
async def follow_run(
    run_id: str,
    request: Request,
    caller: Reader,
    last_event_id: Annotated[str, Header(alias="Last-Event-ID", max_length=65_536)] = "",
) -> EventSourceResponse:
    """Events: step.queued, step.started, step.output (text increments), step.retried,
    step.awaits_review, step.succeeded, step.failed, step.skipped, step.cancelled, run.<status> and
    run.finished (the last). Each event's id is where the client stands; reconnecting with it as
    ``Last-Event-ID`` sends every event the client lacks, once."""
    async with tenant_session(caller) as session:
        await control.get_run(session, caller.ctx, run_id)  # another tenant's or a made-up id: 404 now

    async def events() -> AsyncIterator[ServerSentEvent]:
        seen: stream.Vector | None = None
        async with hub().watch(RUNS_CHANNEL, run_id) as changed:
            while True:
                changed.clear()  # before reading: a change landing meanwhile wakes the next round
                seen, batch, finished = await _read(caller, run_id, seen, last_event_id)
                for event in batch:
                    yield ServerSentEvent(json.dumps(event.data, separators=(",", ":")), event=event.type, id=event.id)
                if finished:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), SAFETY_POLL_S)

    return EventSourceResponse(events(), ping=PING_S, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
