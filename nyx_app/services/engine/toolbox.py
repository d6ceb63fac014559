"""The built-in tools a TOOL step may name (one explicit table, like finishers.py), and the
executor's part of running one."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from nyx_app.models.run import StepRun, StepStatus
from nyx_app.services.code.sync import sync_tool
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.record import LeaseLost, Recorder
from nyx_app.services.engine.tools import Tool, ToolCall, ToolFailed
from nyx_app.services.workflows.definition import StepDef

log = logging.getLogger(__name__)

TOOLS: dict[str, Tool] = {
    # "Sync" on a project's Sources tab: fetch the repository and list its files.
    "code_sync": sync_tool,
}
PROGRESS_LINES = 200


async def run_tool_step(
    recorder: Recorder,
    ctx: TenantContext,
    step: StepDef,
    row: StepRun,
    *,
    project_id: uuid.UUID,
    inputs: dict[str, Any],
) -> str:
    """Run the step's tool; the failure message ("" on success). The row is updated in memory."""
    await recorder.apply(ev.StepStarted(row.id, "app", f"tool/{step.tool}"))
    lines: list[str] = []

    async def progress(line: str) -> None:
        lines.append(line)
        await recorder.apply(ev.OutputDelta(row.id, "\n".join(lines[-PROGRESS_LINES:])))

    tool = TOOLS.get(step.tool)
    try:
        if tool is None:
            raise ToolFailed(f"This app has no built-in step named '{step.tool}'.")
        result = await tool(ToolCall(ctx, recorder.run_id, project_id, inputs, progress))
    except ToolFailed as failed:
        message = failed.message
    except LeaseLost:
        raise
    except Exception:  # a disk full, a bug: the step fails in words, the details go to the log
        log.exception("tool %s of run %s failed", step.tool, recorder.run_id)
        message = "The step failed unexpectedly (the details are in the server's log); try again."
    else:
        async with recorder.applying(
            ev.StepSucceeded(row.id, result.output, result.data, "app", f"tool/{step.tool}")
        ) as session:
            await result.write(session)
        row.status, row.output, row.output_data = StepStatus.SUCCEEDED.value, result.output, result.data
        return ""
    await recorder.apply(ev.StepFailed(row.id, message))
    row.status, row.error = StepStatus.FAILED.value, message
    return message
