"""Starting a workflow run from a page, with every refusal turned into what the user sees next to
the Start button: the message, the problems per step, and for "already running" a link to the
run that is active (so the user can watch it instead of guessing where it is)."""

from __future__ import annotations

import dataclasses

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, InvalidInput
from nyx_app.services.runs import control
from nyx_app.services.workflows.store import WorkflowInvalid
from nyx_app.services.workflows.validate import Problem


@dataclasses.dataclass
class StartOutcome:
    run_url: str = ""
    error: str = ""
    active_url: str = ""
    problems: list[Problem] = dataclasses.field(default_factory=list)


async def active_run_url(session: AsyncSession, ctx: TenantContext, project_id: str, workflow_id: str) -> str:
    """The page of this workflow's active run, if any."""
    run = await control.active_run(session, ctx, workflow_id)
    return routes.run_url(project_id, str(run.id)) if run is not None else ""


async def start_run(session: AsyncSession, ctx: TenantContext, project_id: str, workflow_id: str) -> StartOutcome:
    """Start the workflow's run. Refusals are caught here, inside the transaction, so the link to
    an active run is read in the same transaction; a refusal has written nothing."""
    try:
        run = await control.start_workflow_run(session, ctx, workflow_id)
    except WorkflowInvalid as exc:
        return StartOutcome(error=exc.message, problems=exc.problems)
    except InvalidInput as exc:
        return StartOutcome(error=exc.message)
    except Conflict as exc:
        return StartOutcome(error=exc.message, active_url=await active_run_url(session, ctx, project_id, workflow_id))
    return StartOutcome(run_url=routes.run_url(str(run.project_id), str(run.id)))
