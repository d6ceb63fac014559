"""Reports (JSON, Markdown, PDF) and the audit log (owners and admins, admin scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from nyx_app.api.v1.deps import Cursor, Reader, limit_query, scoped, tenant_session
from nyx_app.api.v1.problems import problem
from nyx_app.api.v1.schemas import AuditEventOut, PageOut, ReportDetail, ReportOut
from nyx_app.models.report import PdfStatus, Report
from nyx_app.services import api_reads, audit
from nyx_app.services.api_tokens import Caller
from nyx_app.services.audit.log import ExportFormat, export, list_events, parse_filter
from nyx_app.services.permissions import Scope
from nyx_app.services.reports.pdf import pdf_filename, read_pdf
from nyx_app.services.reports.store import get_report

router = APIRouter()
Admin = Annotated[Caller, Depends(scoped(Scope.ADMIN))]
_FILE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@router.get(
    "/projects/{project_id}/reports", response_model=PageOut[ReportOut], tags=["reports"], summary="List reports"
)
async def list_reports(
    project_id: str, caller: Reader, cursor: Cursor = None, limit: int = limit_query()
) -> PageOut[ReportOut]:
    async with tenant_session(caller) as session:
        page = await api_reads.reports(session, caller.ctx, project_id, cursor, limit)
    return PageOut(items=[ReportOut.model_validate(r) for r in page.items], next_cursor=page.next_cursor)


async def _exported(caller: Caller, report_id: str, fmt: str) -> Report:
    """The report, its download recorded in the audit log (an export) in the same transaction."""
    async with tenant_session(caller) as session:
        report = await get_report(session, caller.ctx, report_id)
        await audit.record(
            session,
            caller.ctx,
            audit.AuditAction.EXPORTED,
            object_type="report",
            object_id=report.id,
            object_label=report.title,
            details={"format": fmt},
        )
        return report


@router.get("/reports/{report_id}", response_model=ReportDetail, tags=["reports"], summary="A report as JSON")
async def read_report(report_id: str, caller: Reader) -> ReportDetail:
    return ReportDetail.model_validate(await _exported(caller, report_id, "json"))


@router.get(
    "/reports/{report_id}/markdown",
    tags=["reports"],
    summary="A report's Markdown",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}, "description": "Markdown."}},
)
async def report_markdown(report_id: str, caller: Reader) -> Response:
    report = await _exported(caller, report_id, "markdown")
    disposition = f'attachment; filename="{pdf_filename(report.title, "md")}"'
    return Response(
        report.markdown,
        media_type="text/markdown; charset=utf-8",
        headers={**_FILE, "Content-Disposition": disposition},
    )


@router.get(
    "/reports/{report_id}/pdf",
    tags=["reports"],
    summary="A report's PDF (409 while it is being made)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}, "description": "PDF."}
    },
)
async def report_pdf(report_id: str, caller: Reader) -> Response:
    report = await _exported(caller, report_id, "pdf")
    if report.pdf_status == PdfStatus.FAILED.value:
        return problem(
            409, f"The PDF could not be made: {report.pdf_error} The Markdown is available.", kind="conflict"
        )
    if report.pdf_status != PdfStatus.READY.value or not report.pdf_key:
        return problem(
            409, "The PDF is still being made; try again in a moment.", kind="conflict", headers={"Retry-After": "5"}
        )
    try:
        body = await read_pdf(report.pdf_key)
    except LookupError:
        return problem(409, "The PDF file is missing; make it again from the report page.", kind="conflict")
    disposition = f'attachment; filename="{pdf_filename(report.title, "pdf")}"'
    return Response(body, media_type="application/pdf", headers={**_FILE, "Content-Disposition": disposition})


AuditFilters = Annotated[str, Query(max_length=60)]


@router.get(
    "/audit", response_model=PageOut[AuditEventOut], tags=["audit"], summary="The audit log (owners and admins)"
)
async def audit_log(
    caller: Admin,
    actor_id: AuditFilters = "",
    action: AuditFilters = "",
    since: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = "",
    until: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = "",
    cursor: Cursor = None,
    limit: int = limit_query(),
) -> PageOut[AuditEventOut]:
    flt = parse_filter(actor_id, action, since, until)
    async with tenant_session(caller) as session:
        page = await list_events(session, caller.ctx, flt, cursor=cursor, limit=limit)
    return PageOut(items=[AuditEventOut.model_validate(e) for e in page.items], next_cursor=page.next_cursor)


@router.get(
    "/audit/export",
    tags=["audit"],
    summary="Export the audit log as CSV or JSON",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array"}}},
            "description": "The filtered log, newest first.",
        }
    },
)
async def audit_export(
    caller: Admin,
    format: Annotated[ExportFormat, Query()] = ExportFormat.CSV,
    actor_id: AuditFilters = "",
    action: AuditFilters = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    flt = parse_filter(actor_id, action, since, until)
    async with tenant_session(caller) as session:
        body, _ = await export(session, caller.ctx, flt, format)
    media = "text/csv; charset=utf-8" if format is ExportFormat.CSV else "application/json"
    disposition = f'attachment; filename="audit-log.{format.value}"'
    return Response(body, media_type=media, headers={**_FILE, "Content-Disposition": disposition})
