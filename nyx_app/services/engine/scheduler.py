"""The scheduler of a run: every step whose dependencies are done starts at once under the run's
limit; skips, reviews and fan-out bookkeeping are settled without a model; a cancel stops
everything, a pause starts nothing new (or stops the calls in flight), and the run's outcome is
worked out from its rows. Part of the run executor (``executor.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from nyx_app.models.run import NO_ITEM, PauseMode, RunStatus, StepRun, StepStatus
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.run_base import BLOCKING, item_label
from nyx_app.services.engine.step_call import StepCalls
from nyx_app.services.workflows.definition import OutputFormat, StepDef, StepKind


class Scheduler(StepCalls):
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
