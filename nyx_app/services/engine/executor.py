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
import json
import logging
import os
import platform
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from nyx_app.db import lease
from nyx_app.db.session import transaction
from nyx_app.integrations import llm as adapter
from nyx_app.models.run import NO_ITEM, PauseMode, Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.models.tenancy import Role
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import autocontext, code_context, finishers, knowledge, material, toolbox
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.handover import Carried, Handover
from nyx_app.services.engine.limits import provider_gate
from nyx_app.services.engine.record import LeaseLost, Recorder, attempt_row
from nyx_app.services.errors import ServiceError
from nyx_app.services.llm import catalog
from nyx_app.services.llm.call import (
    Attempt,
    ImageInput,
    LlmRequest,
    SetupCache,
    complete,
    record_success,
    record_success_alone,
    recorded,
    success_insert,
)
from nyx_app.services.llm.errors import LlmUnavailable
from nyx_app.services.llm.validators import parse_json
from nyx_app.services.personas import usage as persona_usage
from nyx_app.services.workflows import sandbox, schemas, templates
from nyx_app.services.workflows.definition import OutputFormat, StepDef, StepKind, WorkflowDefinition
from nyx_app.services.workflows.validate import needs
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

BLOCKING = (StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELLED)


def item_label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for field_name in ("title", "name", "key", "summary"):
            if isinstance(item.get(field_name), str) and item[field_name].strip():
                return item[field_name].strip()[:200]
        return json.dumps(item, ensure_ascii=False)[:80]
    text = str(item).strip()
    return text[:200] if text else f"Item {index + 1}"


def json_validator(
    output: OutputFormat, schema: dict[str, Any] | None = None, gate: uuid.UUID | None = None
) -> Callable[[str], Awaitable[None]] | None:
    """Rejects (ValueError) an answer that is not the JSON the step promises; the call path then
    tries the next model. A user's schema is checked in the sandbox (sandbox.py); one that cannot
    be used raises SchemaProblem before any call."""
    return sandbox.json_validator(output, schema, gate=gate)


class RunExecutor:
    def __init__(self, tenant_id: uuid.UUID, run_id: uuid.UUID, stop: asyncio.Event | None = None) -> None:
        self.tenant_id = tenant_id
        self.run_id = run_id
        self.stop = stop or asyncio.Event()
        # A pause asked for (PauseMode, "" for none); ``_steer`` wakes the scheduler when it changes.
        self.pausing = ""
        # A comparison of models asks each model alone: no fallback to another (model_compare.py).
        self.pinned = False
        self._steer = asyncio.Event()
        self.recorder = Recorder(tenant_id, run_id)
        self.recorder.on_lost = self.stop.set  # refused: stop everything (calls in flight are cancelled)
        self.rows: dict[tuple[str, int], StepRun] = {}
        self.definition = WorkflowDefinition()
        self.material: material.Material | None = None
        self.ctx: TenantContext | None = None
        self.project_id: uuid.UUID | None = None
        self.inputs: dict[str, Any] = {}
        self._image_cache: tuple[list[ImageInput], str] | None = None
        self._gate = asyncio.Semaphore(get_settings().run_max_parallel_steps)
        self._failed: list[str] = []
        self.personas: dict[str, persona_usage.RunPersona] = {}
        # {{insights}}, {{policies}} …: retrieved once per run (engine/knowledge.py).
        self.knowledge: dict[str, templates.Retrieved | str] = {}
        self._setups = SetupCache()
        # What each step waits for, worked out once: the scheduler asks after every finished step.
        self._needs: dict[str, list[str]] = {}
        # Successes not yet written: the next step to start takes them along (handover.py).
        self._handover = Handover(self.recorder, self._user_id)

    # -- entry -----------------------------------------------------------------------------------
    async def execute(self) -> RunStatus | None:
        """Run until the run is finished, waits for a review, or is stopped. Returns its status,
        or None when the run was taken from this executor (it stopped without a trace)."""
        loaded = await self._load()
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

    # -- the graph -------------------------------------------------------------------------------
    def parent(self, key: str) -> StepRun:
        return self.rows[(key, NO_ITEM)]

    def items(self, key: str) -> list[StepRun]:
        return sorted((r for (k, i), r in self.rows.items() if k == key and i != NO_ITEM), key=lambda r: r.item_index)

    def _status(self, row: StepRun) -> StepStatus:
        return StepStatus(row.status)

    async def _schedule(self) -> tuple[RunStatus, str]:
        tasks: dict[asyncio.Task[None], StepRun] = {}
        stop_wait = asyncio.create_task(self.stop.wait())
        steer_wait = asyncio.create_task(self._steer.wait())
        try:
            while True:
                if self.stop.is_set():
                    return await self._cancel(tasks)
                if self.pausing == PauseMode.NOW.value:
                    return await self._halt(tasks)
                self._handover.new_round()
                if not self.pausing:  # pausing: nothing new starts, the steps in flight finish
                    await self._advance(tasks)
                await self._handover.pass_on(self._starts_at_once, slot_free=not self._gate.locked())
                if not tasks:
                    break
                done, _ = await asyncio.wait({*tasks, stop_wait, steer_wait}, return_when=asyncio.FIRST_COMPLETED)
                for finished in done:
                    if finished is steer_wait:
                        self._steer.clear()
                        steer_wait = asyncio.create_task(self._steer.wait())
                    elif finished is not stop_wait:
                        tasks.pop(finished)  # type: ignore[arg-type]
                        finished.result()  # a bug in the engine surfaces here, not silently
        finally:
            stop_wait.cancel()
            steer_wait.cancel()
            for task in tasks:
                task.cancel()
            # They log what they were paid for on their way out: before the executor is done.
            await asyncio.gather(*tasks, return_exceptions=True)
            # Only when the engine itself failed is anything left unwritten: its answers were paid for.
            for success in self._handover.abandon():
                with contextlib.suppress(Exception):
                    await self.recorder.aside(success.lost())
        return self._outcome()

    # -- successes not yet written ---------------------------------------------------------------
    def _user_id(self) -> uuid.UUID:
        assert self.ctx is not None
        return self.ctx.user_id

    def _starts_at_once(self, step: StepDef) -> bool:
        """Whether ``step`` will write its start without reading or loading anything first."""
        return self._setups.fresh() is not None and (not step.images or self._image_cache is not None)

    async def _advance(self, tasks: dict[asyncio.Task[None], StepRun]) -> None:
        """Settle what can be settled without a model (skips, reviews, fan-out bookkeeping) and
        start every step that is ready."""
        running = {r.id for r in tasks.values()}
        progressed = True
        while progressed:
            progressed = False
            for step in self.definition.steps:
                row = self.parent(step.key)
                status = self._status(row)
                if status.finished or status == StepStatus.WAITING_REVIEW:
                    continue
                waits = [self._status(self.parent(k)) for k in self._needs[step.key] if (k, NO_ITEM) in self.rows]
                if any(s in BLOCKING for s in waits):
                    await self._mark([row, *self.items(step.key)], StepStatus.SKIPPED, "A step it depends on failed.")
                    progressed = True
                    continue
                if not all(s == StepStatus.SUCCEEDED for s in waits) or self._failed:
                    continue
                if step.kind == StepKind.REVIEW:
                    reviewed = self.parent(self._needs[step.key][0])
                    await self._handover.settle()
                    await self.recorder.apply(ev.StepAwaitsReview(row.id, reviewed.output))
                    row.status = StepStatus.WAITING_REVIEW.value
                elif step.for_each:
                    progressed |= await self._fan_out(step, row, tasks, running)
                elif status == StepStatus.QUEUED and row.id not in running:
                    self._start(step, row, tasks)

    async def _fan_out(
        self, step: StepDef, parent: StepRun, tasks: dict[asyncio.Task[None], StepRun], running: set[uuid.UUID]
    ) -> bool:
        items = self.items(step.key)
        if not items:
            source = self.parent(step.for_each)
            values = source.output_data if isinstance(source.output_data, list) else []
            await self._handover.settle()  # the items come from the source's answer: it is written first
            items = await self.recorder.expand(parent, values, [item_label(v, i) for i, v in enumerate(values)])
            for row in items:
                self.rows[(row.key, row.item_index)] = row
            parent.status = StepStatus.RUNNING.value
        elif self._status(parent) == StepStatus.QUEUED:  # resumed: its unfinished items go again
            await self._mark([parent], StepStatus.RUNNING)
        for row in items:
            if self._status(row) == StepStatus.QUEUED and row.id not in running:
                self._start(step, row, tasks)
        if all(self._status(r).finished for r in items):
            await self._finish_fan_out(step, parent, items)
            return True
        return False

    async def _finish_fan_out(self, step: StepDef, parent: StepRun, items: list[StepRun]) -> None:
        failed = [r for r in items if self._status(r) != StepStatus.SUCCEEDED]
        sections = [f"## {r.label}\n\n{r.output.strip()}" for r in items if self._status(r) == StepStatus.SUCCEEDED]
        data = [r.output_data if step.output != OutputFormat.TEXT else r.output for r in items]
        if failed:
            error = f"{len(failed)} of {len(items)} items did not finish: " + ", ".join(r.label for r in failed[:5])
            status = StepStatus.FAILED
            self._failed.append(f"Step '{step.title}' failed: {error}")
        else:
            error, status = "", StepStatus.SUCCEEDED
        await self._handover.settle()
        await self.recorder.finish_parent(parent.id, status, output="\n\n".join(sections), data=data, error=error)
        parent.status, parent.output, parent.output_data, parent.error = (
            status.value,
            "\n\n".join(sections),
            data,
            error,
        )

    async def _mark(self, rows: list[StepRun], status: StepStatus, error: str = "") -> None:
        await self._handover.settle()
        await self.recorder.set_status([r.id for r in rows], status, error)
        for row in rows:
            row.status, row.error = status.value, error

    def _start(self, step: StepDef, row: StepRun, tasks: dict[asyncio.Task[None], StepRun]) -> None:
        row.status = StepStatus.RUNNING.value  # in memory: claimed; the row says so once a slot is free
        carried = self._handover.starting(step)
        work = self._run_tool_step if step.kind == StepKind.TOOL else self._run_llm_step
        tasks[asyncio.create_task(work(step, row, carried))] = row

    async def _run_tool_step(self, step: StepDef, row: StepRun, carried: Carried) -> None:
        """Built-in work (engine/toolbox.py): it streams progress and writes its rows with its end."""
        assert self.ctx is not None and self.project_id is not None
        await self.recorder.write_successes(carried.take(), self.ctx.user_id)
        error = await toolbox.run_tool_step(
            self.recorder, self.ctx, step, row, project_id=self.project_id, inputs=self.inputs
        )
        if error:
            self._failed.append(f"Step '{step.title}' failed: {error}")

    def _outcome(self) -> tuple[RunStatus, str]:
        statuses = [self._status(self.parent(s.key)) for s in self.definition.steps]
        if self._failed or any(s == StepStatus.FAILED for s in statuses):
            return RunStatus.FAILED, self._failed[0] if self._failed else "A step failed."
        if self.pausing and not all(s == StepStatus.SUCCEEDED for s in statuses):
            return RunStatus.PAUSED, ""
        if any(s == StepStatus.WAITING_REVIEW for s in statuses):
            return RunStatus.WAITING, ""
        if all(s == StepStatus.SUCCEEDED for s in statuses):
            return RunStatus.SUCCEEDED, ""
        return RunStatus.FAILED, "The run stopped before every step finished."

    async def _cancel(self, tasks: dict[asyncio.Task[None], StepRun]) -> tuple[RunStatus, str]:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()
        await self._handover.settle()  # steps that finished before the cancel stay done
        unfinished = [
            r
            for r in self.rows.values()
            if not self._status(r).finished or self._status(r) == StepStatus.WAITING_REVIEW
        ]
        await self._mark(unfinished, StepStatus.CANCELLED, "Cancelled.")
        return RunStatus.CANCELLED, "Cancelled by a user."

    async def _halt(self, tasks: dict[asyncio.Task[None], StepRun]) -> tuple[RunStatus, str]:
        """Pause now: the calls in flight stop; their steps are queued again (``RunFinished``)."""
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()
        await self._handover.settle()  # steps that finished before the pause stay done
        status, error = self._outcome()
        if status == RunStatus.FAILED:  # a step had failed just before: stopped like a cancel
            stopped = [r for r in self.rows.values() if self._status(r) == StepStatus.RUNNING]
            await self._mark(stopped, StepStatus.CANCELLED, "Stopped when the run was paused.")
        return status, error

    # -- one LLM step ----------------------------------------------------------------------------
    def _variables(self, row: StepRun) -> dict[str, Any]:
        assert self.material is not None
        steps = {
            s.key: templates.step_values(self.parent(s.key).output, self.parent(s.key).output_data)
            for s in self.definition.steps
            if self._status(self.parent(s.key)) == StepStatus.SUCCEEDED
        }
        variables = {**self.material.variables(), **self.knowledge, "steps": templates.Record(steps)}
        if row.item_index != NO_ITEM:
            variables.update(item=templates.wrap(row.item), item_index=row.item_index + 1)
        return variables

    async def _prompt(self, step: StepDef, row: StepRun, model: str) -> tuple[str, str, str]:
        """Rendered prompt and system prompt, plus the auto-context note."""
        variables = self._variables(row)
        prompt = await sandbox.render(step.prompt, variables, gate=self.tenant_id)
        system = await sandbox.render(step.system, variables, gate=self.tenant_id) if step.system else ""
        persona = self.personas.get(step.persona) if step.persona else None
        if persona is not None:  # the persona's own words are not a template: they lead as written
            system = "\n\n".join(part for part in (persona.lead, system) if part)
        named = templates.references(step.prompt).step_keys + templates.references(step.system).step_keys
        if named or not step.depends_on:
            return prompt, system, ""
        deps = [
            autocontext.Dependency(k, self.definition.step(k).title, self.parent(k).output)  # type: ignore[union-attr]
            for k in step.depends_on
        ]
        window = autocontext.context_window(model, get_settings().run_default_context_tokens)
        provider, model_id = catalog.split_ref(model)
        kind = provider if provider in catalog.BUILT_IN_PROVIDERS else catalog.OPENAI_COMPATIBLE
        litellm_model = catalog.litellm_model(kind, model_id)

        def count(text: str) -> int:
            return adapter.count_tokens(litellm_model, [{"role": "user", "content": text}])

        prompt, note = autocontext.build(
            prompt, system, deps, window=window, answer_tokens=step.max_tokens, count=count
        )
        return prompt, system, note

    async def _images(self) -> tuple[list[ImageInput], str]:
        if self._image_cache is None:
            assert self.material is not None
            self._image_cache = await material.load_images(self.material.images)
        return self._image_cache

    async def _run_llm_step(self, step: StepDef, row: StepRun, carried: Carried) -> None:
        try:
            async with self._gate:
                if self.stop.is_set() or self._failed or self.pausing:
                    row.status = StepStatus.QUEUED.value
                    return
                await self._call(step, row, carried)
        finally:
            # What it carried and did not send with its start (it failed or stopped before).
            await self.recorder.write_successes(carried.take(), self._user_id())

    def _persona_id(self, step: StepDef) -> uuid.UUID | None:
        return uuid.UUID(step.persona) if step.persona else None

    async def _call(self, step: StepDef, row: StepRun, carried: Carried) -> None:
        assert self.material is not None and self.ctx is not None
        model = step.model or self.material.project_model
        if step.persona and step.persona not in self.personas:
            await self._fail(step, row, "The persona this step speaks as was deleted; choose another one.")
            return
        try:
            prompt, system, note = await self._prompt(step, row, model)
            validator = json_validator(step.output, step.output_schema, self.tenant_id)
        except (templates.TemplateProblem, schemas.SchemaProblem) as problem:
            await self._fail(step, row, str(problem))
            return
        images, images_note = await self._images() if step.images else ([], "")
        note = " ".join(n for n in (note, images_note) if n)
        started = ev.StepStarted(row.id, catalog.split_ref(model)[0], model, prompt, note)
        setup = self._setups.fresh()
        if setup is not None:
            await self.recorder.started_at_once(started, self.ctx.user_id, carried.take())
        else:  # the call's set-up is read where the step is marked started
            await self.recorder.write_successes(carried.take(), self.ctx.user_id)
            async with self.recorder.applying(started, self.ctx.user_id) as session:
                setup = await self._setups.get(session, self.ctx)
        streamed: list[str] = []

        async def on_delta(piece: str) -> None:
            streamed.append(piece)
            await self.recorder.apply(ev.OutputDelta(row.id, "".join(streamed)))

        async def on_restart() -> None:
            streamed.clear()
            await self.recorder.apply(ev.OutputDelta(row.id, ""))

        async def on_attempt(attempt: Attempt) -> None:
            if attempt.status != "ok":
                self._setups.forget()  # the provider's status changed: the next step reads it anew
                await self.recorder.apply(ev.StepRetried(row.id, attempt_row(attempt)))

        # A fan-out item's answer is not streamed; a step's own answer is. LiteLLM spends 0.5-1 ms
        # of CPU on every streamed chunk, and 13 to 200 answers streaming at once kept the worker's
        # event loop (with ./scripts/run, the web process's) busy parsing chunks: the seed's 13
        # plans took 1.5 s instead of 1 s of a 1 s call. Items still show running and done live.
        streamed_answer = row.item_index == NO_ITEM
        timeout = None if streamed_answer else unstreamed_timeout(step.max_tokens)
        request = LlmRequest(
            prompt,
            model=model,
            system=system,
            images=images,
            images_as_text=self.material.images_as_text(),
            max_tokens=step.max_tokens,
            temperature=step.temperature,
            validator=validator,
            on_delta=on_delta if streamed_answer else None,
            on_restart=on_restart if streamed_answer else None,
            timeout=timeout,
            purpose=f"run · {step.title}"[:60],
            limiter=provider_gate(self.tenant_id),
            on_attempt=on_attempt,
            fallbacks=[] if self.pinned else None,
        )
        try:
            result = await complete(self.ctx, request, setup=setup, defer_success=True)
        except ServiceError as error:
            attempts = error.attempts if isinstance(error, LlmUnavailable) else []
            call_id = error.call_id if isinstance(error, LlmUnavailable) else None
            await self._fail(step, row, error.message, attempts, call_id)
            return
        data = parse_json(result.output) if step.output != OutputFormat.TEXT else None
        succeeded = ev.StepSucceeded(
            row.id,
            result.output,
            data,
            result.provider,
            f"{result.provider}/{result.model}",
            [attempt_row(a) for a in result.attempts],
            result.call_id,
            result.tokens_in,
            result.tokens_out,
            result.cost_usd,
            self._persona_id(step),
        )
        ctx = self.ctx
        try:
            # The step is done and its answer's attempt is logged (spend, provider health) together:
            # written with the next step's start (or at once, when none starts: handover.py).
            call_row = success_insert(self.ctx, result)
            if call_row is not None:
                done = self.recorder.success(
                    succeeded,
                    call_row,
                    committed=lambda: recorded(result),
                    lost=lambda: record_success_alone(ctx, result),
                )
                self._handover.succeeded(done)
            else:  # this answer changes the provider's badge: written with it, then read anew
                async with self.recorder.applying(succeeded, self.ctx.user_id) as session:
                    await record_success(session, self.ctx, result)
                self._setups.forget()
        except BaseException:
            # Cancelled or failed between the answer and its commit: the step will run again, but
            # this answer was paid for, so its attempt is logged on its own.
            await self.recorder.aside(record_success_alone(self.ctx, result))
            raise
        row.status, row.output, row.output_data = StepStatus.SUCCEEDED.value, result.output, data

    async def _fail(
        self,
        step: StepDef,
        row: StepRun,
        message: str,
        attempts: list[Attempt] | None = None,
        call_id: uuid.UUID | None = None,
    ) -> None:
        spent = attempts or []
        await self.recorder.apply(
            ev.StepFailed(
                row.id,
                message,
                [attempt_row(a) for a in spent],
                call_id,
                sum(a.tokens_in for a in spent),
                sum(a.tokens_out for a in spent),
                sum((a.cost_usd for a in spent), Decimal(0)),
                self._persona_id(step),
            )
        )
        row.status, row.error = StepStatus.FAILED.value, message
        if row.item_index == NO_ITEM:
            self._failed.append(f"Step '{step.title}' failed: {message}")


# An unstreamed answer arrives whole, so its timeout has to cover the whole generation; a streamed
# one's covers only the silence between chunks. The usual wait, plus the step's answer length at a
# slow 25 tokens a second (4,096 tokens when the step sets none, LiteLLM's default for Claude).
UNSTREAMED_TOKENS_PER_S = 25
DEFAULT_ANSWER_TOKENS = 4096


def unstreamed_timeout(max_tokens: int | None) -> float:
    return get_settings().llm_timeout_seconds + (max_tokens or DEFAULT_ANSWER_TOKENS) / UNSTREAMED_TOKENS_PER_S


Runner = Callable[[uuid.UUID, uuid.UUID, asyncio.Event], Awaitable[RunStatus | None]]


async def execute(tenant_id: uuid.UUID, run_id: uuid.UUID, stop: asyncio.Event | None = None) -> RunStatus | None:
    return await RunExecutor(tenant_id, run_id, stop).execute()
