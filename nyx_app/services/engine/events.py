"""The engine's vocabulary: what can happen to a step or a run.

The executor only emits these; ``record.Recorder`` turns each into rows and a NOTIFY. Keeping the
two apart lets tests (and later kinds of runs) watch the same events the pages are told about.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nyx_app.models.run import RunStatus


@dataclass(frozen=True, slots=True)
class StepStarted:
    row_id: uuid.UUID
    provider: str = ""
    model: str = ""
    prompt: str = ""
    context_note: str = ""


@dataclass(frozen=True, slots=True)
class OutputDelta:
    """The answer so far (not the increment): the recorder persists the latest, a few times a second."""

    row_id: uuid.UUID
    output: str


@dataclass(frozen=True, slots=True)
class StepRetried:
    """A provider attempt failed and the call path moves on (another try, or the next model)."""

    row_id: uuid.UUID
    attempt: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StepSucceeded:
    row_id: uuid.UUID
    output: str
    data: Any = None
    provider: str = ""
    model: str = ""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    call_id: uuid.UUID | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)
    # The persona the step spoke as: its use is counted in the same transaction as this event.
    persona_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class StepFailed:
    row_id: uuid.UUID
    error: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    call_id: uuid.UUID | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)
    # The persona the step spoke as: its use is counted in the same transaction as this event.
    persona_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class StepAwaitsReview:
    row_id: uuid.UUID
    output: str


@dataclass(frozen=True, slots=True)
class RunFinished:
    status: RunStatus
    error: str = ""


EngineEvent = StepStarted | OutputDelta | StepRetried | StepSucceeded | StepFailed | StepAwaitsReview | RunFinished
