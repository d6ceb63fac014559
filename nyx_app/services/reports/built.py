"""Reports built from the project's rows at once, in the caller's transaction: the project overview
and the run report. (The executive summary and the dev-log post are written by a model: writers.py.)"""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.report import Report, ReportKind
from nyx_app.models.run import RunStatus
from nyx_app.models.tenancy import User
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.reports.overview import build_overview
from nyx_app.services.reports.run_report import build_run_report
from nyx_app.services.reports.store import save_report
from nyx_app.services.runs.control import get_run


async def make_overview(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> Report:
    require(ctx, Action.REPORT_GENERATE)
    project = await get_project(session, ctx, project_id)
    me = await session.get(User, ctx.user_id)
    built = await build_overview(session, project, me.name if me else "someone")
    return await save_report(
        session, ctx, project_id=project.id, kind=ReportKind.OVERVIEW, title=built.title, body=built.markdown,
        data=built.data,
    )  # fmt: skip


async def make_run_report(
    session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, project_id: str | uuid.UUID | None = None
) -> Report:
    """The report of a finished run (succeeded, failed or cancelled). ``project_id``: the project
    the request came from; a run of another project is "not found" there."""
    require(ctx, Action.REPORT_GENERATE)
    run = await get_run(session, ctx, run_id)
    if project_id is not None and str(run.project_id) != str(project_id):
        raise NotFound("Run not found.")
    if not RunStatus(run.status).finished:
        raise Conflict("This run is still going; make its report once it has finished.")
    project = await get_project(session, ctx, run.project_id)
    built = await build_run_report(session, run, project)
    return await save_report(
        session, ctx, project_id=project.id, kind=ReportKind.RUN, title=built.title, body=built.markdown,
        data=built.data, source_run_id=run.id,
    )  # fmt: skip
