"""The Workflows tab's rows: each workflow in words ("5 steps · 1 run"), with what stands in the way
of starting it and a link to each fix, read in one go with the model runs use."""

from __future__ import annotations

import dataclasses
import re

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.start_blockers import BlockerRow, blocker_rows
from nyx_app.pages.run_rows import when
from nyx_app.services import projects
from nyx_app.services.context import TenantContext
from nyx_app.services.llm import choice
from nyx_app.services.runs import readiness
from nyx_app.services.runs.readiness import Readiness
from nyx_app.services.workflows import builtin, store
from nyx_app.services.workflows.store import WorkflowSummary


@dataclasses.dataclass
class WorkflowRow:
    id: str
    name: str
    description: str
    steps: int
    runs: int
    updated: str
    url: str
    meta: str = ""  # "5 steps · 1 run · updated …"
    # Why Start is not possible now, each with a link to its fix (empty: it is possible).
    blockers: list[BlockerRow] = dataclasses.field(default_factory=list)
    may_delete: bool = False  # members delete only the workflows they made: no button otherwise


@dataclasses.dataclass
class TemplateCard:
    key: str
    name: str
    description: str
    steps: int


TEMPLATE_CARDS = [
    TemplateCard(t.key, t.name, t.description, len(t.definition["steps"])) for t in builtin.TEMPLATES.values()
]


def workflow_row(w: WorkflowSummary, project_id: str, ready: Readiness | None) -> WorkflowRow:
    return WorkflowRow(
        str(w.id),
        w.name,
        w.description,
        w.steps,
        w.runs,
        when(w.updated_at),
        routes.workflow_url(project_id, str(w.id)),
        meta=f"{plural(w.steps, 'step')} · {plural(w.runs, 'run')} · updated {when(w.updated_at)}",
        blockers=blocker_rows(ready, project_id, str(w.id)) if ready else [],
        may_delete=w.may_delete,
    )


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


async def read_tab(s: AsyncSession, c: TenantContext, pid: str) -> tuple[list[WorkflowRow], str]:
    """The workflows, each with what stands in the way of starting it, and the model runs use."""
    summaries = await store.list_workflows(s, c, pid)
    project = await projects.get_project(s, c, pid)
    ready = await readiness.project_workflows_readiness(s, c, project)
    model = (await choice.project_model(s, project)).label
    return [workflow_row(w, pid, ready.get(str(w.id))) for w in summaries], model


def export_filename(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workflow"
    return f"{slug[:60]}.workflow.json"
