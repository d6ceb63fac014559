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
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import Compiled as SqlCompiled

from nyx_app.db.engine import app_engine
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
    sending = asyncio.ensure_future(_send(tenant_id, user_id, statements, committed))
    try:
        await asyncio.shield(sending)
    except asyncio.CancelledError:
        # The statements and the COMMIT went out together and the server carries them out
        # whatever this side does: let them land (one round trip) before the caller's clean-up
        # writes over them (a cancelled run marks its unfinished steps cancelled after this).
        with contextlib.suppress(Exception):
            await sending
        raise


async def _send(
    tenant_id: uuid.UUID, user_id: uuid.UUID | None, statements: Sequence[Bound], committed: Callable[[], None] | None
) -> None:
    context = _SET.bind({"tenant_id": str(tenant_id), "user_id": str(user_id or "")})
    async with app_engine().connect() as connection:
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
    if committed is not None:
        committed()
