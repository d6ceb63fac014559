"""Publishing a dev-log post: a public, read-only URL that works without logging in and shows that
post and nothing else of the tenant.

How the public read stays inside one row, under row-level security:

1. ``published_post`` is the only table read without a tenant. Its SELECT policy admits every
   row, but it holds nothing but (public id → tenant id, report id) of posts published *right
   now*: a row is inserted when a post is published and deleted, in the same transaction, when
   it is unpublished (or by cascade when the report goes). Inserting or deleting needs the
   tenant's own context (its INSERT/DELETE policies), there is no UPDATE policy, and the composite
   foreign key (tenant id, report id) → report means no row can name another tenant's report.
   A made-up or unpublished id finds no row: "not found".
2. The report itself is then read in a transaction scoped to *that* tenant (its RLS policy as for
   any page), by its id, and only if the row itself says ``published`` with this same public id
   and is a dev-log post. So even a stale mapping cannot show a report that is not published, and
   nothing in this path can reach another report of the tenant or any row of another tenant.

The public id is a fresh random UUID at every publication: a link shared before an unpublish
stays dead when the post is published again.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.session import transaction
from nyx_app.models.project import Project
from nyx_app.models.report import PublishedPost, Report, ReportKind
from nyx_app.models.tenancy import User
from nyx_app.services import audit
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.permissions import Action, require
from nyx_app.services.reports.store import get_report, reports_key

# The post's own images would need a login (the image route); on the public page they never load.
_IMAGE_TAG = re.compile(r'<img [^>]*?alt="([^"]*)"[^>]*>')


@dataclass(frozen=True, slots=True)
class PublicPost:
    title: str
    summary: str
    tags: list[str]
    html: str
    published_at: datetime
    author: str = ""  # who wrote (generated) it, by name
    project: str = ""  # the project it is about, by name


async def publish(session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID) -> Report:
    require(ctx, Action.REPORT_PUBLISH)
    report = await get_report(session, ctx, report_id, lock=True)
    if report.kind != ReportKind.DEVLOG.value:
        raise InvalidInput("Only dev-log posts can be published.")
    if report.published:
        return report
    report.public_id, report.published, report.published_at = uuid.uuid4(), True, utcnow()
    session.add(report)
    await session.flush()
    session.add(PublishedPost(public_id=report.public_id, tenant_id=ctx.tenant_id, report_id=report.id))
    await session.flush()
    await audit.record(
        session,
        ctx,
        audit.AuditAction.REPORT_PUBLISHED,
        object_type="report",
        object_id=report.id,
        object_label=report.title,
        details={"public_id": str(report.public_id)},
    )
    await notify(session, RUNS_CHANNEL, reports_key(report.project_id))
    return report


async def unpublish(session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID) -> Report:
    """The public URL answers "not found" as soon as this commits."""
    require(ctx, Action.REPORT_PUBLISH)
    report = await get_report(session, ctx, report_id, lock=True)
    await session.execute(delete(PublishedPost).where(col(PublishedPost.report_id) == report.id))
    was_published = report.published
    report.public_id, report.published, report.published_at = None, False, None
    session.add(report)
    await session.flush()
    if was_published:
        await audit.record(
            session,
            ctx,
            audit.AuditAction.REPORT_UNPUBLISHED,
            object_type="report",
            object_id=report.id,
            object_label=report.title,
        )
    await notify(session, RUNS_CHANNEL, reports_key(report.project_id))
    return report


def _public_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def read_public_post(public_id: str) -> PublicPost | None:
    """The published post with this public id, or None (made up, unpublished, deleted)."""
    wanted = _public_id(public_id)
    if wanted is None:
        return None
    async with transaction() as session:  # no tenant: only published_post is readable here
        mapping = await session.get(PublishedPost, wanted)
        tenant_id, report_id = (mapping.tenant_id, mapping.report_id) if mapping else (None, None)
    if tenant_id is None:
        return None
    async with transaction(tenant_id) as session:
        report = (
            await session.exec(
                select(Report).where(
                    Report.id == report_id,
                    col(Report.published).is_(True),
                    Report.public_id == wanted,
                    Report.kind == ReportKind.DEVLOG.value,
                )
            )
        ).first()
        if report is None or report.published_at is None:
            return None
        post = report.data.get("post", {}) if isinstance(report.data, dict) else {}
        project = await session.get(Project, report.project_id)
        author = await session.get(User, report.created_by) if report.created_by else None
        return PublicPost(
            title=report.title,
            summary=str(post.get("summary", "")),
            tags=[str(t) for t in post.get("tags", []) if isinstance(t, str)],
            html=_IMAGE_TAG.sub(lambda m: f"<span>[image: {m.group(1)}]</span>" if m.group(1) else "", report.html),
            published_at=report.published_at,
            author=author.name if author else "",
            project=project.name if project else "",
        )
