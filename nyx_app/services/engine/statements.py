"""The statements of every LLM step's start and end, built (and compiled) once: building an UPDATE
of a dozen columns took more CPU than sending it. ``record.Recorder`` executes them in a session or
sends them in one round trip (``db.pipeline``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Uuid, bindparam, cast, func, not_, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import col

from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.pipeline import Compiled
from nyx_app.models.run import StepRun, StepStatus
from nyx_app.services.engine import events as ev


def _param(column: str) -> Any:
    """A value bound when the statement is sent, typed as its step_run column."""
    return bindparam(f"v_{column}", type_=StepRun.__table__.c[column].type)  # type: ignore[attr-defined]


def _values(**values: Any) -> dict[str, Any]:
    return {f"v_{name}": value for name, value in values.items()}


# The two writes of every LLM step, built once: building an UPDATE of a dozen columns took more
# CPU than sending it. Each announces the change in the same statement (pg_notify in RETURNING is
# delivered, like any NOTIFY, only if the transaction commits), which saves a round trip.
_ANNOUNCE = func.pg_notify(RUNS_CHANNEL, cast(col(StepRun.run_id), String))
STARTED = (
    update(StepRun)
    .where(col(StepRun.id) == _param("id"))
    .values(
        status=StepStatus.RUNNING.value,
        started_at=func.now(),
        finished_at=None,
        provider=_param("provider"),
        model=_param("model"),
        prompt=_param("prompt"),
        context_note=_param("context_note"),
        output="",
        output_data=None,
        error="",
        attempts=[],
    )
    .returning(_ANNOUNCE)
)
_CALL_ID = bindparam("v_call_id", type_=Uuid())
# Only a running step succeeds, and never twice with the same call: written again, it changes nothing.
SUCCEEDED = (
    update(StepRun)
    .where(col(StepRun.id) == _param("id"), col(StepRun.status) == StepStatus.RUNNING.value)
    .where(not_(col(StepRun.call_ids).any(_CALL_ID)))
    .values(
        status=StepStatus.SUCCEEDED.value,
        finished_at=func.now(),
        error="",
        attempts=_param("attempts"),
        tokens_in=StepRun.tokens_in + _param("tokens_in"),
        tokens_out=StepRun.tokens_out + _param("tokens_out"),
        cost_usd=StepRun.cost_usd + _param("cost_usd"),
        call_ids=func.array_append(StepRun.call_ids, _CALL_ID),
        output=_param("output"),
        output_data=_param("output_data"),
        provider=_param("provider"),
        model=_param("model"),
    )
    .returning(_ANNOUNCE)
)


# The same two statements, sent without a session where nothing else is written with them.
STARTED_AT_ONCE = Compiled(STARTED)
SUCCEEDED_AT_ONCE = Compiled(SUCCEEDED)


def started_values(event: ev.StepStarted) -> dict[str, Any]:
    return _values(
        id=event.row_id,
        provider=event.provider,
        model=event.model,
        prompt=event.prompt,
        context_note=event.context_note,
    )


def succeeded_values(event: ev.StepSucceeded) -> dict[str, Any]:
    return _values(
        id=event.row_id,
        attempts=event.attempts,
        tokens_in=event.tokens_in,
        tokens_out=event.tokens_out,
        cost_usd=event.cost_usd,
        call_id=event.call_id,
        output=event.output,
        output_data=event.data,
        provider=event.provider,
        model=event.model,
    )


def append(attempt: dict[str, Any]) -> Any:
    """``attempts || [attempt]`` in SQL, so the attempts recorded before stay."""
    return col(StepRun.attempts).op("||")(cast([attempt], JSONB))
