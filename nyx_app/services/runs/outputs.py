"""One step's (or one fan-out item's) answer, whole, to copy or to download as Markdown.

Read on demand, one row at a time, under RLS: the run page keeps previews only, so a Copy button
adds nothing to what a watched run sends on each update. Another tenant's run or row answers
"not found", like a made-up id.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.run import NO_ITEM, StepRun
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.reports.text import fence
from nyx_app.services.runs import json_view
from nyx_app.services.runs.control import get_run
from nyx_app.services.validation import parse_id
from nyx_app.services.workflows.definition import OutputFormat, WorkflowDefinition


@dataclass(frozen=True, slots=True)
class OutputFile:
    filename: str
    text: str  # the answer as the model gave it (what Copy puts on the clipboard)
    markdown: str  # the downloaded file: a heading, and for JSON the readable table and the raw JSON


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60]


async def output_file(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, row_id: str | uuid.UUID
) -> OutputFile:
    run = await get_run(session, ctx, run_id)
    row = await session.get(StepRun, parse_id(row_id, "Step"))
    if row is None or row.run_id != run.id:
        raise NotFound("Step not found.")
    definition = WorkflowDefinition.model_validate(run.definition)
    step = definition.step(row.key)
    step_title = step.title if step else row.key
    item = row.item_index != NO_ITEM
    title = f"{step_title} {row.item_index + 1}: {row.label}" if item and row.label else step_title
    name = "-".join(p for p in (_slug(run.title), _slug(row.key), str(row.item_index + 1) if item else "") if p)
    body = row.output
    if step is not None and step.output != OutputFormat.TEXT:
        readable = json_view.readable(row.output)
        if readable:
            body = f"{readable}\n\n{fence(row.output.strip(), 'json')}"
    return OutputFile(f"{name or 'output'}.md", row.output, f"# {title}\n\n{body.strip()}\n")
