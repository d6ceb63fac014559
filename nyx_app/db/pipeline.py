"""A short transaction of known writes in one round trip, for the run engine's per-step writes.

``transaction()`` (an AsyncSession) costs a round trip for BEGIN, one for the tenant, one per
statement and one for COMMIT, plus SQLAlchemy's session and ORM bookkeeping: ~3 ms for a step's
one UPDATE on the bench machine, while PostgreSQL spends 0.03 ms on it. A run's steps write twice
each, and that was most of the engine's overhead per step. Here the statements are compiled once,
and BEGIN, the tenant, the statements and COMMIT go out together in psycopg's pipeline mode.

Same role, same RLS, same all-or-nothing: any failure rolls the whole transaction back and is
raised (as psycopg's error), and a NOTIFY among the statements is delivered only if it commits.
Results are not read: this is for writes whose outcome the caller already knows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import Compiled as SqlCompiled

from nyx_app.db.engine import PING_IF_IDLE_SECONDS, app_engine
from nyx_app.db.session import SET_CONTEXT


@dataclass(frozen=True, slots=True)
class Bound:
    """A compiled statement with its values, ready to send."""

    sql: str
    params: Mapping[str, Any]


class Compiled:
    """A SQLAlchemy statement compiled once for psycopg; ``bind`` fills in its values.

    The statement stays the single source of truth (the slower path executes the same object
    through a session), and its column types still convert the values (JSONB, UUID, ...).
    """

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: SqlCompiled | None = None
        self._processors: dict[str, Callable[[Any], Any]] = {}

    def _compile(self) -> SqlCompiled:
        # At first use, for the app engine's own dialect (postgresql+psycopg, see db/urls.py).
        dialect = app_engine().dialect
        compiled = self._statement.compile(dialect=dialect)
        evaluated = [*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ())]
        if evaluated:  # a Python-side default (e.g. updated_at's onupdate) is not evaluated here
            names = ", ".join(column.name for column in evaluated)
            raise ValueError(f"Set {names} in the statement: their Python-side defaults would not run.")
        for param, name in compiled.bind_names.items():  # type: ignore[attr-defined]
            processor = param.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor
        self._compiled = compiled
        return compiled

    def bind(self, values: Mapping[str, Any]) -> Bound:
        compiled = self._compiled or self._compile()
        params = dict(compiled.construct_params(dict(values)) or {})
        for name, processor in self._processors.items():
            if name in params:
                params[name] = processor(params[name])
        return Bound(compiled.string, params)


_SET = Compiled(SET_CONTEXT)


async def write_at_once(
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    statements: Sequence[Bound],
    *,
    committed: Callable[[], None] | None = None,
) -> None:
    """Run ``statements`` in one transaction as the app role for ``tenant_id``, in one round trip.

    ``committed`` is called once the transaction has committed, even if the caller was cancelled
    meanwhile (as ``after_commit`` would): the caller learns what landed.
    """
    await _landed(_send_pooled(tenant_id, user_id, statements, committed))


class HeldConnection:
    """``write_at_once`` on one pooled connection kept for a series of writes (a run's steps).

    Checking a connection out of SQLAlchemy's pool and back in costs ~0.4 ms of the event loop
    per write, a third of a step's write. A run writes twice per step, one step after another, so
    it keeps one connection for as long as it runs. Only one write at a time uses it: a write
    that finds it busy (fan-out items finishing together) takes a pooled connection of its own.
    The same guarantees as ``write_at_once``; the tenant is still set per transaction, so the
    connection carries nothing into its next use. After a failure the connection is dropped
    (its state is unknown) and the next write takes a new one. A connection left unused for
    longer than the pool trusts an idle one goes back and the write checks out another (which
    the pool pings first): a database restarted during a long call costs a run nothing.
    """

    def __init__(self) -> None:
        self._connection: AsyncConnection | None = None
        self._used_at = 0.0
        self._sending: asyncio.Future[None] | None = None  # the write on the connection, if any
        self._closed = False

    async def write(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID | None,
        statements: Sequence[Bound],
        *,
        committed: Callable[[], None] | None = None,
    ) -> None:
        if self._sending is not None or self._closed:  # busy, or its owner is done with it
            await write_at_once(tenant_id, user_id, statements, committed=committed)
            return
        sending = self._sending = asyncio.ensure_future(self._send_held(tenant_id, user_id, statements, committed))
        sending.add_done_callback(self._sent)
        await _landed(sending)

    def _sent(self, sending: asyncio.Future[None]) -> None:
        if self._sending is sending:
            self._sending = None

    async def _send_held(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID | None,
        statements: Sequence[Bound],
        committed: Callable[[], None] | None,
    ) -> None:
        if self._connection is not None and time.monotonic() - self._used_at > PING_IF_IDLE_SECONDS:
            await self._release()
        if self._connection is None:
            self._connection = await app_engine().connect()
        connection = self._connection
        try:
            await _pipelined(connection, tenant_id, user_id, statements)
        except BaseException:
            self._connection = None  # _pipelined invalidated it: its state is unknown
            with contextlib.suppress(Exception):
                await connection.close()
            raise
        self._used_at = time.monotonic()
        if committed is not None:
            committed()

    async def close(self) -> None:
        """Give the connection back to the pool, once a write still on it has landed (a cancelled
        step's write goes on by itself: see ``_landed``). Later writes take pooled connections."""
        self._closed = True
        if self._sending is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(self._sending)
        await self._release()

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


async def _landed(sending: Awaitable[None]) -> None:
    """Await ``sending``; if the caller is cancelled, first let what was sent land."""
    task = asyncio.ensure_future(sending)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        # The statements and the COMMIT went out together and the server carries them out
        # whatever this side does: let them land (one round trip) before the caller's clean-up
        # writes over them (a cancelled run marks its unfinished steps cancelled after this).
        with contextlib.suppress(Exception):
            await task
        raise


async def _send_pooled(
    tenant_id: uuid.UUID, user_id: uuid.UUID | None, statements: Sequence[Bound], committed: Callable[[], None] | None
) -> None:
    async with app_engine().connect() as connection:
        await _pipelined(connection, tenant_id, user_id, statements)
    if committed is not None:
        committed()


async def _pipelined(
    connection: AsyncConnection, tenant_id: uuid.UUID, user_id: uuid.UUID | None, statements: Sequence[Bound]
) -> None:
    context = _SET.bind({"tenant_id": str(tenant_id), "user_id": str(user_id or "")})
    pooled = await connection.get_raw_connection()
    driver = pooled.driver_connection
    assert driver is not None
    try:
        async with driver.pipeline():
            cursor = driver.cursor()
            for statement in (context, *statements):
                await cursor.execute(statement.sql, statement.params)
            await driver.commit()
    except BaseException:
        # After a failure mid-pipeline the connection's state is unknown (a transaction
        # possibly open, results unread): the pool must not hand it out again.
        await connection.invalidate()
        raise
