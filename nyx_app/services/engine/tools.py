"""Tool steps: built-in work (a repository sync) that runs as a step of a run, like a model call.

A tool step gets what a model step gets from the engine — live progress (its output is a progress
log, streamed like an answer), cancel (its task is cancelled; a tool kills what it started),
restart (a step left running is queued again and the tool runs again from the start: tools are
idempotent) and fencing (its result is written in the transaction that marks the step done, and
that transaction holds the run's lease, so an executor that lost the run writes nothing).

A tool returns its summary, its data and a ``write`` that the engine calls inside that
transaction: the tool's rows land with the step's success or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.services.context import TenantContext


class ToolFailed(Exception):
    """The tool could not do its work; ``message`` is shown on the step, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class ToolCall:
    ctx: TenantContext
    run_id: uuid.UUID
    project_id: uuid.UUID
    inputs: dict[str, Any]
    progress: Callable[[str], Awaitable[None]]  # one line more of the step's progress log


Writer = Callable[[AsyncSession], Awaitable[None]]


async def _nothing(session: AsyncSession) -> None:
    return None


@dataclass(slots=True)
class ToolResult:
    output: str
    data: Any = None
    write: Writer = field(default=_nothing)


Tool = Callable[[ToolCall], Awaitable[ToolResult]]
