"""Turns engine events into rows, one short transaction each, and announces every change.

Each finished step is committed before anything that depends on it calls a model or is written
(at the latest together with the next step's start: ``engine/handover.py``), so a run picked up
again after a crash finds its finished steps and calls no model for them twice.
Streamed output is kept in memory and written a few times a second (``run_stream_flush_seconds``),
so a page that reconnects mid-answer reads the answer so far from the database.

Every write is fenced by the executor's lease (``db/lease.py``): it starts by holding the run at
the epoch the executor claimed, in the same round trip. Once a hold is refused (another worker
took the run over, the run was failed or deleted) the recorder raises ``LeaseLost`` for that and
every later write, and sends nothing more; answers already paid for are logged on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.lease import hold, hold_at_once, lease_lost
from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.pipeline import Bound, HeldConnection
from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunStatus, StepRun, StepStatus
from nyx_app.services import notifications
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.statements import (
    STARTED,
    STARTED_AT_ONCE,
    SUCCEEDED,
    SUCCEEDED_AT_ONCE,
    append,
    started_values,
    succeeded_values,
)
from nyx_app.services.llm.call import Attempt
from nyx_app.services.personas.usage import record_use, use_at_once
from nyx_app.settings import get_settings


@dataclass(frozen=True, slots=True)
class Success:
    """A step's success as statements, not yet sent (``Recorder.success``)."""

    row_id: uuid.UUID
    statements: list[Bound]
    committed: Callable[[], None]
    lost: Callable[[], Awaitable[None]]

    def landed(self) -> None:
        """Its transaction committed: the step is done for good (benchmarks time this)."""
        self.committed()


class LeaseLost(Exception):
    """The executor no longer owns its run: it must stop and write nothing more."""


def attempt_row(attempt: Attempt) -> dict[str, Any]:
    row = asdict(attempt)
    row["cost_usd"] = str(attempt.cost_usd)
    return row


class Recorder:
    def __init__(self, tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.run_id = run_id
        self._pending_output: dict[uuid.UUID, str] = {}
        self._flusher: asyncio.Task[None] | None = None
        # The run's steps start and end one after another: their writes share one connection.
        self._steps_connection = HeldConnection()
        # The lease this executor claimed (None: writes are not fenced, e.g. a recorder in a test).
        self.epoch: int | None = None
        self.lost = False
        self.on_lost: Callable[[], None] | None = None
        # Logging answers that were paid for, carried on when their caller is cancelled (``aside``).
        self._aside: set[asyncio.Future[None]] = set()

    # -- the lease -----------------------------------------------------------------------------
    def _lose(self) -> LeaseLost:
        if not self.lost:
            self.lost = True
            if self.on_lost is not None:
                self.on_lost()
        return LeaseLost(f"run {self.run_id} is no longer held by this executor")

    def _check(self) -> None:
        if self.lost:
            raise LeaseLost(f"run {self.run_id} is no longer held by this executor")

    def _refused(self, error: BaseException) -> BaseException:
        """``error``, or LeaseLost if it is a refused hold."""
        return self._lose() if lease_lost(error) else error

    @contextlib.asynccontextmanager
    async def _fenced(self, user_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """A transaction whose first statement holds the run at this executor's epoch."""
        self._check()
        try:
            async with transaction(self.tenant_id, user_id) as session:
                if self.epoch is not None:
                    await hold(session, self.run_id, self.epoch)
                yield session
        except Exception as error:
            refused = self._refused(error)
            if refused is error:
                raise
            raise refused from error

    def _holding(self) -> list[Bound]:
        return [hold_at_once(self.run_id, self.epoch)] if self.epoch is not None else []

    # -- plumbing ------------------------------------------------------------------------------
    async def _touch_run(self, session: AsyncSession, **values: Any) -> None:
        """Announce a change. The run row itself is written only when the run's own state changes:
        steps running side by side would otherwise queue up behind each other on its row lock.
        (Totals are summed from the steps while it runs and stored when it ends.)"""
        if values:
            await session.execute(
                update(Run)
                .where(col(Run.id) == self.run_id)
                .values(revision=Run.revision + 1, updated_at=func.now(), **values)
            )
        await notify(session, RUNS_CHANNEL, str(self.run_id))

    async def _update_step(self, session: AsyncSession, row_id: uuid.UUID, **values: Any) -> None:
        await session.execute(update(StepRun).where(col(StepRun.id) == row_id).values(**values))

    # -- events --------------------------------------------------------------------------------
    async def apply(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.OutputDelta):
            self._pending_output[event.row_id] = event.output
            self._ensure_flusher()
            return
        async with self.applying(event):
            pass

    @contextlib.asynccontextmanager
    async def applying(self, event: ev.EngineEvent, user_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """Write ``event`` and hand its transaction to the caller, whose writes then commit with it:
        a step reads its call's set-up where it is marked started, and records the accepted answer's
        attempt where it is marked done (two transactions per step, not four)."""
        if isinstance(event, ev.StepSucceeded | ev.StepFailed | ev.StepAwaitsReview):
            self._pending_output.pop(event.row_id, None)  # the final text wins over a late delta
        async with self._fenced(user_id) as session:
            await self._write(session, event)
            yield session

    async def started_at_once(
        self, event: ev.StepStarted, user_id: uuid.UUID | None, carrying: Sequence[Success] = ()
    ) -> None:
        """``applying(event)`` in one round trip, for a step whose call needs nothing read first;
        with it, the successes of the steps that finished just before (``success``): a chain's
        step ends and the next one starts in one transaction."""
        started = STARTED_AT_ONCE.bind(started_values(event))
        await self._write_successes(carrying, user_id, [started])

    def success(
        self,
        event: ev.StepSucceeded,
        call_row: Sequence[Bound],
        committed: Callable[[], None],
        lost: Callable[[], Awaitable[None]],
    ) -> Success:
        """``applying(event)`` plus its answer's ``llm_call`` row (and its budget reservation's end),
        as statements to send later (``write_successes``, or along with the next step's start): an
        LLM step whose provider's status needs no change, nearly every step. ``committed`` once they
        landed; ``lost`` if the transaction failed (the answer was paid for: its attempt is then
        logged on its own)."""
        self._pending_output.pop(event.row_id, None)
        statements = [SUCCEEDED_AT_ONCE.bind(succeeded_values(event)), *call_row]
        if event.persona_id is not None:  # with the step's own row: counted once, as in _finish
            statements.append(use_at_once(event.persona_id, succeeded=True))
        return Success(event.row_id, statements, committed, lost)

    async def write_successes(self, successes: Sequence[Success], user_id: uuid.UUID | None) -> None:
        """Successes (``success``) in one round trip."""
        if successes:
            await self._write_successes(successes, user_id)

    async def _write_successes(
        self, successes: Sequence[Success], user_id: uuid.UUID | None, then: Sequence[Bound] = ()
    ) -> None:
        """``successes`` and the statements ``then``, in one transaction, held at the lease."""
        statements = [*self._holding(), *(s for done in successes for s in done.statements), *then]

        def committed() -> None:
            for done in successes:
                done.landed()

        try:
            self._check()
            await self._steps_connection.write(self.tenant_id, user_id, statements, committed=committed)
        except BaseException as error:
            for done in successes:  # whatever happened, the answers were paid for
                await self.aside(done.lost())
            refused = self._refused(error)
            if refused is error:
                raise
            raise refused from error

    async def _write(self, session: AsyncSession, event: ev.EngineEvent) -> None:
        match event:
            case ev.StepStarted():
                await session.execute(STARTED, started_values(event))
            case ev.StepRetried():
                await self._update_step(session, event.row_id, attempts=append(event.attempt))
                await self._touch_run(session)
            case ev.StepSucceeded():
                await self._finish(session, event.row_id, StepStatus.SUCCEEDED, event, error="")
            case ev.StepFailed():
                await self._finish(session, event.row_id, StepStatus.FAILED, event, error=event.error)
            case ev.StepAwaitsReview():
                await self._update_step(
                    session,
                    event.row_id,
                    status=StepStatus.WAITING_REVIEW.value,
                    output=event.output,
                    started_at=func.now(),
                )
                await self._touch_run(session)
            case ev.RunFinished():
                finished = func.now() if event.status.finished else None
                totals = select(
                    func.coalesce(func.sum(StepRun.tokens_in), 0),
                    func.coalesce(func.sum(StepRun.tokens_out), 0),
                    func.coalesce(func.sum(StepRun.cost_usd), 0),
                ).where(col(StepRun.run_id) == self.run_id)
                tokens_in, tokens_out, cost = (await session.execute(totals)).one()
                paused: dict[str, Any] = {}
                if event.status == RunStatus.PAUSED:
                    # Steps whose calls a pause stopped start again on resume; what they streamed goes.
                    await session.execute(
                        update(StepRun)
                        .where(col(StepRun.run_id) == self.run_id, col(StepRun.status) == StepStatus.RUNNING.value)
                        .values(status=StepStatus.QUEUED.value, output="", error="")
                    )
                    paused["paused_at"] = func.now()
                await self._touch_run(
                    session,
                    status=event.status.value,
                    error=event.error,
                    finished_at=finished,
                    tokens_in=tokens_in,
                    tokens_out=tokens_out,
                    cost_usd=cost,
                    pause_requested="",  # done, or moot: the run ended or waits for a review
                    **paused,
                )
                # Who started it is told, in the transaction that ends it (only if it lands).
                await notifications.run_changed(session, self.run_id, event.status)

    async def _finish(
        self, session: AsyncSession, row_id: uuid.UUID, status: StepStatus, event: Any, *, error: str
    ) -> None:
        if isinstance(event, ev.StepSucceeded) and event.call_id is not None:  # every LLM step's end
            await session.execute(SUCCEEDED, succeeded_values(event))
            if event.persona_id is not None:
                await record_use(session, event.persona_id, succeeded=True)
            return
        values: dict[str, Any] = {
            "status": status.value,
            "finished_at": func.now(),
            "error": error,
            "attempts": event.attempts,
            "tokens_in": StepRun.tokens_in + event.tokens_in,
            "tokens_out": StepRun.tokens_out + event.tokens_out,
            "cost_usd": StepRun.cost_usd + event.cost_usd,
        }
        if event.call_id is not None:
            values["call_ids"] = func.array_append(StepRun.call_ids, event.call_id)
        if isinstance(event, ev.StepSucceeded):
            values.update(output=event.output, output_data=event.data, provider=event.provider, model=event.model)
        # A step ends once (its totals are never added twice); one may fail before it started.
        unfinished = [StepStatus.QUEUED.value, StepStatus.RUNNING.value]
        await session.execute(
            update(StepRun).where(col(StepRun.id) == row_id, col(StepRun.status).in_(unfinished)).values(**values)
        )
        if event.persona_id is not None:
            # With the step's own row: a step is counted once, and a resumed run skips it.
            await record_use(session, event.persona_id, succeeded=status == StepStatus.SUCCEEDED)
        await self._touch_run(session)

    # -- fan-out ---------------------------------------------------------------------------------
    async def expand(self, parent: StepRun, items: list[Any], labels: list[str]) -> list[StepRun]:
        """Create one row per item of a fan-out step (once: a resumed run keeps its rows)."""
        rows = [
            StepRun(
                tenant_id=self.tenant_id,
                run_id=self.run_id,
                key=parent.key,
                item_index=index,
                item=item,
                label=label[:200],
            )
            for index, (item, label) in enumerate(zip(items, labels, strict=True))
        ]
        async with self._fenced() as session:
            session.add_all(rows)
            await self._update_step(session, parent.id, status=StepStatus.RUNNING.value, started_at=func.now())
            await session.flush()
            await self._touch_run(session)
        return rows

    async def finish_parent(
        self, parent_id: uuid.UUID, status: StepStatus, *, output: str, data: Any, error: str
    ) -> None:
        """A fan-out step's own row: its items' answers together (tokens and cost stay on the items)."""
        async with self._fenced() as session:
            await self._update_step(
                session,
                parent_id,
                status=status.value,
                output=output,
                output_data=data,
                error=error,
                finished_at=func.now(),
            )
            await self._touch_run(session)

    async def set_status(self, row_ids: list[uuid.UUID], status: StepStatus, error: str = "") -> None:
        if not row_ids:
            return
        async with self._fenced() as session:
            await session.execute(
                update(StepRun).where(col(StepRun.id).in_(row_ids)).values(status=status.value, error=error)
            )
            await self._touch_run(session)

    async def run_status(self, status: RunStatus, error: str = "") -> None:
        await self.apply(ev.RunFinished(status, error))

    async def heartbeat(self) -> None:
        """The run's own heartbeat, only while this executor holds it (else LeaseLost): a worker that
        froze and woke learns at its next beat that its run is gone, even if it writes nothing else.
        An UPDATE, not a hold: it neither waits for the step writes in flight nor they for it."""
        self._check()
        still = [col(Run.id) == self.run_id, col(Run.status) == RunStatus.RUNNING.value]
        if self.epoch is not None:
            still.append(col(Run.lease_epoch) == self.epoch)
        async with transaction(self.tenant_id) as session:
            beat = await session.execute(update(Run).where(*still).values(heartbeat_at=func.now()))
        if beat.rowcount == 0:  # type: ignore[attr-defined]
            raise self._lose()

    # -- streamed output -------------------------------------------------------------------------
    def _ensure_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(get_settings().run_stream_flush_seconds)
        with contextlib.suppress(LeaseLost):  # the executor has been told (on_lost) and stops
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending_output = self._pending_output, {}
        if not pending:
            return
        async with self._fenced() as session:
            for row_id, output in pending.items():
                await session.execute(
                    update(StepRun)
                    .where(col(StepRun.id) == row_id, col(StepRun.status) == StepStatus.RUNNING.value)
                    .values(output=output)
                )
            await self._touch_run(session)

    async def aside(self, work: Awaitable[None]) -> None:
        """Await ``work`` (logging an answer that was paid for), which goes on to its end even if
        the caller is cancelled meanwhile; ``close`` waits for it."""
        task = asyncio.ensure_future(work)
        self._aside.add(task)
        task.add_done_callback(self._aside.discard)
        await asyncio.shield(task)

    async def close(self) -> None:
        if self._aside:
            await asyncio.gather(*self._aside, return_exceptions=True)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self._steps_connection.close()
