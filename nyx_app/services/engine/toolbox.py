"""The built-in tools a TOOL step may name (one explicit table, like finishers.py), and the
executor's part of running one."""

from __future__ import annotations

import uuid
from typing import Any

from nyx_app.models.run import StepRun, StepStatus
from nyx_app.services.code.sync import sync_tool
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.record import Recorder
from nyx_app.services.engine.tools import Tool, ToolCall, ToolFailed
from nyx_app.services.workflows.definition import StepDef

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
    log: list[str] = []

    async def progress(line: str) -> None:
        log.append(line)
        await recorder.apply(ev.OutputDelta(row.id, "\n".join(log[-PROGRESS_LINES:])))

    tool = TOOLS.get(step.tool)
    try:
        if tool is None:
            raise ToolFailed(f"This app has no built-in step named '{step.tool}'.")
        result = await tool(ToolCall(ctx, recorder.run_id, project_id, inputs, progress))
    except ToolFailed as failed:
        await recorder.apply(ev.StepFailed(row.id, failed.message))
        row.status, row.error = StepStatus.FAILED.value, failed.message
        return failed.message
    async with recorder.applying(ev.StepSucceeded(row.id, result.output, result.data, "app", f"tool/{step.tool}")) as s:
        await result.write(s)
    row.status, row.output, row.output_data = StepStatus.SUCCEEDED.value, result.output, result.data
    return ""
