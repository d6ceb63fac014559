"""Executes one run: every step whose dependencies are done runs at once, under the run's limit.

The executor is restartable. It reads the run's rows, resets steps a crashed worker left
"running" to "queued", and goes on from there: finished steps are never executed again. It
stops scheduling new steps after the first failure (the run can be resumed), pauses at review
steps (the run waits for a person; the job ends), and stops everything when ``stop`` is set
(a user's cancel). Asked to pause (``pause``: services/runs/pausing.py), it starts nothing new,
lets the steps in flight finish or stops their calls (``PauseMode.NOW``: those steps are queued
again), writes ``paused`` and ends, so the worker is free. A task cancelled from outside (the
worker shutting down) leaves the rows as they are for the next execution to pick up.

A step may speak as a persona: the personas a run names are read once when it (re)starts, the
persona's system prompt leads the step's, and the step's end counts as one use of the persona
(recorded with the step's row). When a run succeeds, the finisher of its kind (if any) runs.

An executor owns its run through a lease (``db/lease.py``): it claims the run when it loads it,
and every write it makes holds that claim. When a write or the heartbeat is refused (the run was
taken over by another worker while this one was frozen, failed by the sweeper, or deleted), it
stops: calls in flight are cancelled, nothing more is written, and ``execute`` returns None.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from nyx_app.db import lease
from nyx_app.db.session import transaction
from nyx_app.models.run import NO_ITEM, PauseMode, Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.models.tenancy import Role
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import code_context, finishers, knowledge, material
from nyx_app.services.engine.record import LeaseLost
from nyx_app.services.engine.scheduler import Scheduler
from nyx_app.services.personas import usage as persona_usage
from nyx_app.services.workflows.definition import WorkflowDefinition
from nyx_app.services.workflows.validate import needs
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)


class RunExecutor(Scheduler):
    # -- entry -----------------------------------------------------------------------------------
    async def execute(self) -> RunStatus | None:
        """Run until the run is finished, waits for a review, or is stopped. Returns its status,
        or None when the run was taken from this executor (it stopped without a trace)."""
        try:
            loaded = await self._load()
        except LeaseLost:
            # Taken over while loading (a slow retrieval on a loaded machine): the new holder goes on;
            # this job ends quietly, never as a failed job the sweeper would turn into a failed run.
            log.warning("run %s was taken over while this worker loaded it: stopped", self.run_id)
            await self.recorder.close()
            return None
        if loaded is not None:
            if loaded == RunStatus.SUCCEEDED:
                # A job retried after its run had succeeded: the finisher may not have run yet.
                await finishers.finish(self.tenant_id, self.run_id)
            return loaded
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            status, error = await self._schedule()
            await self.recorder.flush()
            await self.recorder.run_status(status, error)
        except LeaseLost:
            log.warning("run %s is no longer held by this worker (taken over, failed or deleted): stopped", self.run_id)
            return None
        else:
            if status == RunStatus.SUCCEEDED:
                await finishers.finish(self.tenant_id, self.run_id)
            return status
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self.recorder.close()

    async def steered(self) -> None:
        """Someone acted on the run from outside (a NOTIFY on the control channel): a cancel, or a
        deletion of what it uses. Read what changed: a cancelled or deleted run stops (its calls in
        flight are cancelled); a deleted persona's steps not yet started fail in words."""
        named = [s.persona for s in self.definition.steps if s.persona]
        async with transaction(self.tenant_id) as session:
            run = await session.get(Run, self.run_id)
            present = await persona_usage.for_run(session, named) if named and run is not None else {}
        if run is None or run.cancel_requested:
            self.stop.set()
            return
        self.pause(run.pause_requested)
        for persona_id in set(self.personas) - set(present):
            del self.personas[persona_id]

    async def _load(self) -> RunStatus | None:
        """Claim and read the run; None when it is ready to go on, else the status it already has."""
        async with transaction(self.tenant_id) as session:
            epoch = await lease.claim(session, self.run_id, f"{platform.node()} pid {os.getpid()}")
            run = await session.get(Run, self.run_id)
            if run is None:
                return RunStatus.CANCELLED  # deleted with its project: nothing to do
            if RunStatus(run.status).finished or epoch is None:
                return RunStatus(run.status)
            self.recorder.epoch = epoch
            if run.started_by is None:
                run.status, run.error = RunStatus.FAILED.value, "The person who started this run no longer exists."
                session.add(run)
                return RunStatus.FAILED
            self.ctx = TenantContext(self.tenant_id, run.started_by, Role.MEMBER)
            self.definition = WorkflowDefinition.model_validate(run.definition)
            self.pinned = run.kind == RunKind.MODEL_COMPARE.value
            self._needs = {step.key: needs(step) for step in self.definition.steps}
            try:
                self.material = await material.gather(session, run.project_id)
            except LookupError:
                return RunStatus.CANCELLED
            if "sources" not in run.inputs:
                run.inputs = {**run.inputs, "sources": self.material.sources}
            named = [s.persona for s in self.definition.steps if s.persona]
            self.personas = await persona_usage.for_run(session, named) if named else {}
            # Steps a crashed or stopped worker left running start again; their partial output goes.
            await session.execute(
                update(StepRun)
                .where(col(StepRun.run_id) == run.id, col(StepRun.status) == StepStatus.RUNNING.value)
                .values(status=StepStatus.QUEUED.value, output="", error="")
            )
            rows = list(await session.exec(select(StepRun).where(StepRun.run_id == run.id)))
            self.rows = {(r.key, r.item_index): r for r in rows}
            cancel, pause = run.cancel_requested, run.pause_requested
            inputs, project_id = dict(run.inputs), run.project_id
            self.inputs, self.project_id = inputs, project_id
            run.status = RunStatus.RUNNING.value
            run.started_at = run.started_at or run.created_at
            session.add(run)
        for step in self.definition.steps:  # a definition newer than its rows (should not happen)
            if (step.key, NO_ITEM) not in self.rows:
                raise RuntimeError(f"run {self.run_id} has no row for step {step.key}")
        if cancel:
            self.stop.set()
        await self._retrieve(inputs, project_id)
        self.pause(pause)  # asked before a worker restart: it pauses at once
        await self.recorder.heartbeat()
        return None

    def pause(self, mode: str) -> None:
        """Pause as asked (a PauseMode value; "" asks nothing). "now" wins over "finish"."""
        if mode in PauseMode._value2member_map_ and self.pausing != PauseMode.NOW.value and mode != self.pausing:
            self.pausing = mode
            self._steer.set()
            log.info("run %s: pause asked (%s); nothing new starts", self.run_id, mode)

    async def _retrieve(self, inputs: dict[str, Any], project_id: uuid.UUID) -> None:
        """What the templates take from the workspace: kept on the run at its first start."""
        assert self.material is not None and self.ctx is not None
        code = await code_context.variables(self.ctx, project_id, inputs, code_context.wanted(self.definition))
        names = knowledge.wanted(self.definition)
        if not names:
            self.knowledge = dict(code)
            return
        record = inputs.get("retrieved")
        if not isinstance(record, dict) or any(n not in record for n in names):
            query = knowledge.query_of(inputs, self.material.project_name, self.material.notes)
            record = await knowledge.retrieve(self.ctx, project_id, query, names)
            await knowledge.save(self.ctx, self.run_id, record)
        # A run with a query of its own (an enrichment) cites what it found, never "the latest".
        fallback = knowledge.NONE_FOUND if inputs.get("retrieval_query") else self.material.memory
        self.knowledge = {**knowledge.variables(record, fallback), **code}

    async def _heartbeat(self) -> None:
        interval = get_settings().run_heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await self.recorder.heartbeat()
            except LeaseLost:
                return  # the executor has been told (on_lost) and stops
            except Exception:  # a missed beat is not worth stopping the run for
                log.warning("heartbeat of run %s failed", self.run_id, exc_info=True)


Runner = Callable[[uuid.UUID, uuid.UUID, asyncio.Event], Awaitable[RunStatus | None]]


async def execute(tenant_id: uuid.UUID, run_id: uuid.UUID, stop: asyncio.Event | None = None) -> RunStatus | None:
    return await RunExecutor(tenant_id, run_id, stop).execute()
