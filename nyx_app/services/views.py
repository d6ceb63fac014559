"""Page-level reads: everything one page shows, in the caller's one transaction, as a small view.

A page's ``on_load`` resolves the session once, opens one transaction and calls one function
here (or ``memory.hub``, ``members.overview``, ``llm.overview.overview``); it never strings
several service calls through separate transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.tenancy import MemberPublic
from nyx_app.services import invitations, members, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.invitations import InvitationView
from nyx_app.services.llm import credentials
from nyx_app.services.permissions import Action


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    project: Project
    notes: int
    public_notes: int


@dataclass(frozen=True, slots=True)
class DashboardView:
    projects: list[ProjectSummary]
    has_provider: bool


async def dashboard(session: AsyncSession, ctx: TenantContext) -> DashboardView:
    counts = {
        pid: (n, p)
        for pid, n, p in await session.exec(
            select(
                ProjectNote.project_id,
                func.count(),
                func.count().filter(col(ProjectNote.public)),
            ).group_by(col(ProjectNote.project_id))
        )
    }
    listed = [ProjectSummary(p, *counts.get(p.id, (0, 0))) for p in await projects.list_projects(session, ctx)]
    return DashboardView(listed, bool(await credentials.list_providers(session, ctx)))


@dataclass(frozen=True, slots=True)
class MembersPageView:
    members: list[MemberPublic]
    invitations: list[InvitationView]  # open ones; empty for those who may not manage members


async def members_page(session: AsyncSession, ctx: TenantContext) -> MembersPageView:
    open_invitations = await invitations.list_open(session, ctx) if ctx.may(Action.MEMBERS_MANAGE) else []
    return MembersPageView(await members.list_members(session, ctx), open_invitations)
