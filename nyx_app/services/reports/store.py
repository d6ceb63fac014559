"""Reports of a project: save, list, read, rename, delete; every read under the tenant's RLS.

Saving a report renders its Markdown to safe HTML once (in a thread: a large report takes ~0.3 s
of CPU, which must not hold the event loop) and queues the job that makes its PDF, in the same
transaction: a report never waits for a PDF job that was not queued. Pages watching the project's
reports are told through NOTIFY on the runs channel under ``reports:<project id>``.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.queue import defer_job
from nyx_app.db.session import after_commit
from nyx_app.integrations import markdown
from nyx_app.integrations.storage import get_storage
from nyx_app.models.report import REPORT_TITLE_MAX, PdfStatus, Report, ReportKind
from nyx_app.models.tenancy import User
from nyx_app.services import audit
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.reports.text import one_line
from nyx_app.services.validation import parse_id, required_text

LIST_LIMIT = 200
# The task that renders a report's PDF (nyx_app/jobs registers it under this name) and its queue.
PDF_TASK = "nyx.report_pdf"
PDF_QUEUE = "reports"
# A PDF still "pending" after this long lost its job (a restart mid-render): the page says so and
# offers to make it again.
PDF_STUCK_AFTER = timedelta(minutes=5)


def reports_key(project_id: uuid.UUID | str) -> str:
    """The NOTIFY payload (on the runs channel) that tells watchers a project's reports changed."""
    return f"reports:{project_id}"


@dataclass(frozen=True, slots=True)
class ReportSummary:
    id: str
    project_id: str
    kind: ReportKind
    title: str
    created_at: datetime
    author: str
    size_bytes: int
    pdf_status: PdfStatus
    pdf_error: str
    pdf_bytes: int
    pdf_stuck: bool
    published: bool
    may_delete: bool


@dataclass(frozen=True, slots=True)
class ReportView:
    summary: ReportSummary
    html: str
    project_name: str
    public_id: str
    source_run_id: str
    writer_run_id: str
    has_record: bool  # a run report's raw record, downloadable as JSON


def _stuck(status: str, requested: datetime | None) -> bool:
    return status == PdfStatus.PENDING.value and requested is not None and utcnow() - requested > PDF_STUCK_AFTER


_SUMMARY_COLUMNS = (
    Report.id,
    Report.project_id,
    Report.kind,
    Report.title,
    Report.created_at,
    Report.created_by,
    Report.pdf_status,
    Report.pdf_error,
    Report.pdf_bytes,
    Report.pdf_requested_at,
    Report.published,
)


def _summary(ctx: TenantContext, row: Any, author: str | None, size_bytes: int) -> ReportSummary:
    return ReportSummary(
        id=str(row.id),
        project_id=str(row.project_id),
        kind=ReportKind(row.kind),
        title=row.title,
        created_at=row.created_at,
        author=author or "someone",
        size_bytes=size_bytes,
        pdf_status=PdfStatus(row.pdf_status),
        pdf_error=row.pdf_error,
        pdf_bytes=row.pdf_bytes,
        pdf_stuck=_stuck(row.pdf_status, row.pdf_requested_at),
        published=row.published,
        may_delete=ctx.may(Action.REPORT_DELETE, author_id=row.created_by),
    )


async def get_report(
    session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID, *, lock: bool = False
) -> Report:
    stmt = select(Report).where(Report.id == parse_id(report_id, "Report"))
    found = (await session.exec(stmt.with_for_update() if lock else stmt)).first()
    if found is None:
        raise NotFound("Report not found.")
    return found


async def list_reports(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> list[ReportSummary]:
    """Newest first, without the reports' text (their sizes are counted by the database)."""
    project = await get_project(session, ctx, project_id)
    rows = await session.execute(
        select(*_SUMMARY_COLUMNS, User.name, func.octet_length(Report.markdown).label("size"))  # type: ignore[call-overload]
        .outerjoin(User, col(User.id) == col(Report.created_by))
        .where(Report.project_id == project.id)
        .order_by(col(Report.created_at).desc())
        .limit(LIST_LIMIT)
    )
    return [_summary(ctx, r, r.name, int(r.size or 0)) for r in rows]


async def report_view(
    session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID, project_id: str | uuid.UUID
) -> ReportView:
    """One report for its viewer; under another project's URL it is "not found" like a made-up id."""
    report = await get_report(session, ctx, report_id)
    if str(report.project_id) != str(project_id):
        raise NotFound("Report not found.")
    project = await get_project(session, ctx, report.project_id)
    author = await session.get(User, report.created_by) if report.created_by else None
    return ReportView(
        summary=_summary(ctx, report, author.name if author else None, len(report.markdown.encode())),
        html=without_title(report.html),
        project_name=project.name,
        public_id=str(report.public_id or ""),
        source_run_id=str(report.source_run_id or ""),
        writer_run_id=str(report.writer_run_id or ""),
        has_record=report.kind == ReportKind.RUN.value and bool(report.data),
    )


_LEADING_H1 = re.compile(r"^\s*<h1[^>]*>.*?</h1>\s*", re.DOTALL)


def without_title(html: str) -> str:
    """The body without its opening level-1 heading: the viewer's page and the PDF's title block
    show the report's (current) title already."""
    return _LEADING_H1.sub("", html, count=1)


def clean_title(title: str) -> str:
    """A title made from a model's or a user's words: one line, at most the column's length."""
    return one_line(title, REPORT_TITLE_MAX) or "Untitled report"


async def save_report(
    session: AsyncSession,
    ctx: TenantContext,
    *,
    project_id: uuid.UUID,
    kind: ReportKind,
    title: str,
    body: str,
    data: dict[str, Any] | None = None,
    source_run_id: uuid.UUID | None = None,
    writer_run_id: uuid.UUID | None = None,
) -> Report:
    """A new report, its HTML rendered, its PDF job queued. The caller checked the permission."""
    html = await asyncio.to_thread(markdown.render, body)
    report = Report(
        tenant_id=ctx.tenant_id,
        project_id=project_id,
        kind=kind.value,
        title=clean_title(title),
        markdown=body,
        html=html,
        data=data or {},
        source_run_id=source_run_id,
        writer_run_id=writer_run_id,
        created_by=ctx.user_id,
    )
    session.add(report)
    await session.flush()
    await request_pdf(session, report)
    return report


async def request_pdf(session: AsyncSession, report: Report) -> None:
    """Queue the job that renders the report's current revision (at most one waits per report)."""
    report.pdf_status, report.pdf_error, report.pdf_requested_at = PdfStatus.PENDING.value, "", utcnow()
    session.add(report)
    await session.flush()
    key = f"pdf:{report.id}"
    args = {"tenant_id": str(report.tenant_id), "report_id": str(report.id)}
    await defer_job(session, PDF_TASK, args, queue=PDF_QUEUE, lock=key, queueing_lock=key)
    await notify(session, RUNS_CHANNEL, reports_key(report.project_id))


async def render_again(session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID) -> Report:
    """Make the PDF again (after a failure, or a render lost to a restart)."""
    require(ctx, Action.REPORT_EDIT)
    report = await get_report(session, ctx, report_id, lock=True)
    await request_pdf(session, report)
    return report


async def rename_report(session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID, title: str) -> Report:
    """A new title; the PDF, which prints it, is made again."""
    require(ctx, Action.REPORT_EDIT)
    report = await get_report(session, ctx, report_id, lock=True)
    new_title = required_text(title, "The title", REPORT_TITLE_MAX)
    if new_title == report.title:
        return report
    report.title, report.revision = new_title, report.revision + 1
    await request_pdf(session, report)
    return report


async def delete_report(
    session: AsyncSession, ctx: TenantContext, report_id: str | uuid.UUID, *, keep_file: bool = False
) -> None:
    """The report, its public link (by cascade) and, once that commits, its PDF file (unless
    ``keep_file``: the trash keeps it for a restore)."""
    report = await get_report(session, ctx, report_id, lock=True)
    require(ctx, Action.REPORT_DELETE, author_id=report.created_by)
    key, project_id = report.pdf_key, report.project_id
    await audit.record(
        session,
        ctx,
        audit.AuditAction.REPORT_DELETED,
        object_type="report",
        object_id=report.id,
        object_label=report.title,
    )
    await session.delete(report)
    await session.flush()
    if key and not keep_file:
        after_commit(session, lambda: asyncio.to_thread(get_storage().delete, key))
    await notify(session, RUNS_CHANNEL, reports_key(project_id))
