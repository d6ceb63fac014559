"""Pausing a run and resuming it, through the run engine's own machinery.

A queued run (no worker holds it yet) is paused here, at once: its job, when a worker takes it,
cannot claim a paused run (``nyx_claim_run``) and ends. A running run is asked to pause
(``Run.pause_requested``) through the control channel; its executor, in whatever process, starts
nothing new, lets the steps in flight finish (or stops their calls, ``PauseMode.NOW``), writes
``paused`` with a hold on its lease, and ends: the worker is free. Steps it stopped go back to
queued. A worker that stops meanwhile leaves the request on the row: the executor that takes the
run over reads it and pauses at once. The sweepers look only at pending and running runs, so a
paused run is never taken for a stuck one.

Resuming queues the run's job again; the executor that claims it goes on from the rows: finished
steps are kept, never paid again, and the run keeps the definition it started with.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUN_CONTROL_CHANNEL, RUNS_CHANNEL, notify
from nyx_app.db.queue import defer_run
from nyx_app.models.run import PauseMode, Run, RunStatus
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import parse_id

_FINISHED = {
    RunStatus.SUCCEEDED: "This run has just finished (it succeeded): there is nothing left to pause.",
    RunStatus.FAILED: "This run has already stopped (it failed): there is nothing left to pause.",
    RunStatus.CANCELLED: "This run was cancelled: there is nothing left to pause.",
}


async def _locked(session: AsyncSession, run_id: str | uuid.UUID) -> Run:
    """The run, its row locked: a pause and the executor's own last write never cross."""
    run = (await session.exec(select(Run).where(Run.id == parse_id(run_id, "Run")).with_for_update())).first()
    if run is None:
        raise NotFound("Run not found.")
    return run


async def _announce(session: AsyncSession, run: Run) -> None:
    await session.execute(update(Run).where(col(Run.id) == run.id).values(revision=Run.revision + 1))
    await notify(session, RUNS_CHANNEL, str(run.id))


async def pause_run(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, mode: str = PauseMode.FINISH.value
) -> Run:
    """Pause a queued run at once, or ask the worker running it to pause (``mode``)."""
    require(ctx, Action.RUN_CANCEL)
    if mode not in PauseMode._value2member_map_:
        raise InvalidInput("Choose whether the steps in progress finish first or stop now.")
    run = await _locked(session, run_id)
    status = RunStatus(run.status)
    if status in _FINISHED:
        raise Conflict(_FINISHED[status])
    if status == RunStatus.PAUSED:
        raise Conflict("This run is already paused.")
    if status == RunStatus.WAITING:
        raise Conflict("This run is waiting for a review and no worker holds it: there is nothing to pause.")
    if run.cancel_requested:
        raise Conflict("This run is being cancelled.")
    if status == RunStatus.PENDING:  # no executor holds it: paused here (its job will find it so)
        run.status, run.paused_at, run.pause_requested = RunStatus.PAUSED.value, utcnow(), ""
    elif run.pause_requested != PauseMode.NOW.value:  # "stop now" wins over an earlier "let them finish"
        run.pause_requested = mode
    run.paused_by = ctx.user_id
    session.add(run)
    await session.flush()
    await notify(session, RUN_CONTROL_CHANNEL, str(run.id))
    await _announce(session, run)
    return run


async def resume_paused(session: AsyncSession, ctx: TenantContext, run: Run) -> Run:
    """Queue a paused run again: it goes on exactly where it stopped."""
    require(ctx, Action.RUN_START)
    locked = await _locked(session, run.id)
    if locked.status != RunStatus.PAUSED.value:
        raise Conflict("This run is not paused any more (someone may have resumed or cancelled it a moment ago).")
    locked.status, locked.error, locked.pause_requested = RunStatus.PENDING.value, "", ""
    locked.paused_by, locked.paused_at = None, None
    session.add(locked)
    await session.flush()
    await defer_run(session, str(ctx.tenant_id), str(locked.id))
    await _announce(session, locked)
    return locked
