"""A run as a stream of typed events, derived from its rows, resumable from any event id.

There is no event-log table: the engine writes each change onto the ``run`` and ``step_run`` rows
(and announces it). So the stream is computed from what a client has seen to what the rows say
now. What a client has seen is a small vector: the run's status, and per step row its status
(and, while it runs, how much of its output and how many failed attempts were sent). Each event's
id *is* that vector after the event (``v1~…``), so a client that reconnects with
``Last-Event-ID`` gets exactly the events it lacks: every event once, however many were missed,
and nothing twice. Output is sent as increments (``step.output``): concatenated, they are the
step's whole answer.

Vector: ``v1~<run status letter>~<step>/<step>/…``, steps in the definition's order, each step
``<parent>[,<item>…]`` in item order, each row a status letter, a running row followed by
``<output chars, base 36>+<failed attempts>``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.run import NO_ITEM, Run, RunStatus, StepRun, StepStatus
from nyx_app.services.context import TenantContext
from nyx_app.services.runs.control import get_run

RUN_LETTER = {
    RunStatus.PENDING: "p",
    RunStatus.RUNNING: "r",
    RunStatus.WAITING: "w",
    RunStatus.SUCCEEDED: "s",
    RunStatus.FAILED: "f",
    RunStatus.CANCELLED: "c",
}
STEP_LETTER = {
    StepStatus.QUEUED: "q",
    StepStatus.RUNNING: "r",
    StepStatus.WAITING_REVIEW: "w",
    StepStatus.SUCCEEDED: "s",
    StepStatus.FAILED: "f",
    StepStatus.SKIPPED: "k",
    StepStatus.CANCELLED: "c",
}
_RUN_OF = {v: k for k, v in RUN_LETTER.items()}
_STEP_OF = {v: k for k, v in STEP_LETTER.items()}
# What a step row's new status is announced as.
STEP_EVENT = {
    StepStatus.QUEUED: "step.queued",
    StepStatus.RUNNING: "step.started",
    StepStatus.WAITING_REVIEW: "step.awaits_review",
    StepStatus.SUCCEEDED: "step.succeeded",
    StepStatus.FAILED: "step.failed",
    StepStatus.SKIPPED: "step.skipped",
    StepStatus.CANCELLED: "step.cancelled",
}
ABSENT = None  # a row the client has not heard of yet


@dataclass(frozen=True, slots=True)
class Seen:
    """What a client knows of one row."""

    status: StepStatus
    output_chars: int = 0  # sent so far (running rows)
    failures: int = 0  # failed attempts sent so far (running rows)


@dataclass
class Vector:
    run: RunStatus | None = None
    steps: list[list[Seen | None]] = field(default_factory=list)  # per step: parent, then items

    def encode(self) -> str:
        segments = []
        for rows in self.steps:
            tokens = []
            for seen in rows:
                if seen is None:
                    tokens.append("_")
                elif seen.status is StepStatus.RUNNING:
                    tokens.append(f"r{_b36(seen.output_chars)}+{seen.failures}")
                else:
                    tokens.append(STEP_LETTER[seen.status])
            segments.append(",".join(tokens))
        return f"v1~{RUN_LETTER[self.run] if self.run else '_'}~{'/'.join(segments)}"

    @classmethod
    def decode(cls, text: str, steps: int) -> Vector | None:
        """None for an id this server did not give out for this run (the stream starts over)."""
        try:
            version, run, body = text.split("~", 2)
            if version != "v1" or len(text) > 65_536:
                return None
            vector = cls(None if run == "_" else _RUN_OF[run], [])
            for segment in body.split("/") if steps else []:
                vector.steps.append([_seen(t) for t in segment.split(",")] if segment else [])
        except (KeyError, ValueError):
            return None
        return vector if len(vector.steps) == steps else None

    def copy(self) -> Vector:
        return Vector(self.run, [list(rows) for rows in self.steps])


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _seen(token: str) -> Seen | None:
    if token == "_":
        return None
    if token.startswith("r"):
        chars, _, failures = token[1:].partition("+")
        return Seen(StepStatus.RUNNING, int(chars, 36), int(failures or 0))
    return Seen(_STEP_OF[token])


@dataclass(frozen=True, slots=True)
class RowNow:
    id: uuid.UUID
    key: str
    item_index: int
    label: str
    status: StepStatus
    output_chars: int
    failures: int
    error: str


@dataclass(frozen=True, slots=True)
class RunNow:
    run: Run
    keys: list[str]  # the definition's step keys, in order
    rows: dict[tuple[str, int], RowNow]


@dataclass(frozen=True, slots=True)
class StreamEvent:
    id: str
    type: str
    data: dict[str, Any]


_ROWS = text(
    """
    SELECT id, key, item_index, label, status, length(output) AS output_chars, error,
           (SELECT count(*) FROM jsonb_array_elements(attempts) a WHERE coalesce(a->>'status', '') <> 'ok') AS failures
    FROM step_run WHERE run_id = :run_id
    """
)


async def read_now(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> RunNow:
    """The run and its rows' states (output lengths, not outputs). NotFound for another tenant's run."""
    run = await get_run(session, ctx, run_id)  # a new session each read: the row is fresh
    rows = await session.execute(_ROWS, {"run_id": run.id})
    keys = [s["key"] for s in run.definition.get("steps", [])]
    found = {
        (r.key, r.item_index): RowNow(
            r.id, r.key, r.item_index, r.label, StepStatus(r.status), int(r.output_chars or 0), int(r.failures), r.error
        )
        for r in rows
    }
    return RunNow(run, keys, found)


def start_vector(now: RunNow) -> Vector:
    return Vector(None, [[] for _ in now.keys])


def _rows_of(now: RunNow, key: str) -> list[RowNow]:
    parent = now.rows.get((key, NO_ITEM))
    items = sorted((r for (k, i), r in now.rows.items() if k == key and i != NO_ITEM), key=lambda r: r.item_index)
    return ([parent] if parent else []) + items


async def output_slices(session: AsyncSession, wanted: dict[uuid.UUID, int]) -> dict[uuid.UUID, str]:
    """The output of each row from character ``wanted[row]`` on (only rows whose output grew)."""
    if not wanted:
        return {}
    rows = await session.execute(
        select(StepRun.id, StepRun.output).where(col(StepRun.id).in_(list(wanted)))  # small: running rows only
    )
    return {row_id: output[wanted[row_id] :] for row_id, output in rows}


def growth(seen: Vector, now: RunNow) -> dict[uuid.UUID, int]:
    """Rows whose output the client lacks some of: row id → what it has (0 unless it saw it run)."""
    wanted: dict[uuid.UUID, int] = {}
    for index, key in enumerate(now.keys):
        known = seen.steps[index] if index < len(seen.steps) else []
        for position, row in enumerate(_rows_of(now, key)):
            before = known[position] if position < len(known) else None
            if before is not None and before.status.finished and before.status is row.status:
                continue  # all of it was sent when it finished
            offset = before.output_chars if before is not None and before.status is StepStatus.RUNNING else 0
            if row.output_chars > offset:
                wanted[row.id] = offset
    return wanted


def events(seen: Vector, now: RunNow, slices: dict[uuid.UUID, str]) -> Iterator[StreamEvent]:
    """The events that take a client from ``seen`` to ``now``, each with the vector after it.
    Mutates ``seen`` as it goes (the caller keeps it as the client's new vector)."""
    while len(seen.steps) < len(now.keys):
        seen.steps.append([])
    for index, key in enumerate(now.keys):
        known = seen.steps[index]
        for position, row in enumerate(_rows_of(now, key)):
            while len(known) <= position:
                known.append(None)
            yield from _row_events(seen, known, position, row, slices.get(row.id))
    status = RunStatus(now.run.status)
    if seen.run is not status:
        seen.run = status
        kind = "run.finished" if status.finished else f"run.{status.value}"
        yield StreamEvent(seen.encode(), kind, {"status": status.value, "error": now.run.error})


def _row_events(
    seen: Vector, known: list[Seen | None], position: int, row: RowNow, text: str | None
) -> Iterator[StreamEvent]:
    base = {"step": row.key, "item_index": None if row.item_index == NO_ITEM else row.item_index, "label": row.label}
    before = known[position]
    if before is None or (before.status.finished and row.status is not before.status):
        # New to the client, or a finished step that was queued again (resume, retry).
        known[position] = before = Seen(StepStatus.QUEUED)
        yield StreamEvent(seen.encode(), "step.queued", base)
    if before.status is StepStatus.QUEUED and row.status not in (
        StepStatus.QUEUED,
        StepStatus.SKIPPED,
        StepStatus.CANCELLED,
    ):
        known[position] = before = Seen(StepStatus.RUNNING)
        yield StreamEvent(seen.encode(), "step.started", base)
    if before.status is StepStatus.RUNNING:
        if text:
            sent = before.output_chars
            known[position] = before = replace(before, output_chars=sent + len(text))
            yield StreamEvent(seen.encode(), "step.output", {**base, "offset": sent, "text": text})
        if row.failures > before.failures:
            known[position] = before = replace(before, failures=row.failures)
            yield StreamEvent(seen.encode(), "step.retried", {**base, "failed_attempts": row.failures})
    if before.status is not row.status:
        known[position] = Seen(row.status)
        data: dict[str, Any] = {**base, "status": row.status.value}
        if row.status is StepStatus.FAILED:
            data["error"] = row.error
        if row.status.finished or row.status is StepStatus.WAITING_REVIEW:
            data["output_chars"] = row.output_chars
        yield StreamEvent(seen.encode(), STEP_EVENT[row.status], data)
