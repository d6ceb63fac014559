"""A report's PDF: rendered by a job, stored, served from storage.

Why store it rather than render on each download: a render costs 1-3 s of two shared cores and a
report never changes but for its title, so each revision is rendered once, by a job (off the event
loop of any page: the renderer only awaits Chromium), and every later download — from the list,
the viewer, by anyone of the workspace — is a file read. The list can also say *before* anyone
clicks that a PDF failed, and why, while the Markdown download keeps working.

The page given to the renderer is the report's stored HTML (made safe by the one Markdown
renderer). Images of our own image route (note thumbnails in an overview or a run report's
traceability) cannot be fetched by the PDF page, which may load nothing, so they are put in as
``data:`` URIs: each looked up by id under the report's tenant (an id of another tenant finds
nothing and stays the alt text), at most ``INLINE_IMAGES_MAX`` of them.

The job is idempotent: it renders the revision it finds and records the outcome only if that is
still the report's revision (a rename meanwhile has queued the next job).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import uuid

from sqlmodel import col, select

from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.session import after_commit, transaction
from nyx_app.integrations import pdf
from nyx_app.integrations.storage import StorageError, get_storage, new_key
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project
from nyx_app.models.report import PdfStatus, Report, ReportKind
from nyx_app.services.reports.store import reports_key, without_title
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

INLINE_IMAGES_MAX = 60
INLINE_BYTES_MAX = 15 * 1024 * 1024
# How the Markdown renderer writes an image of our own route (integrations/markdown.py).
_OWN_IMG = re.compile(r'<img src="/api/images/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(/thumb)?"')
THUMB_STYLE = "height: 32mm; width: auto; margin: 0 2mm 2mm 0; border: 0.5pt solid #d0d7de"
INTERNAL_ERROR = "The PDF could not be made because of an internal error; try again."
STORE_FAILED = "The PDF was made but could not be stored; try again in a moment."


def report_app_url(project_id: uuid.UUID | str, report_id: uuid.UUID | str) -> str:
    """The report's page in the app, for the QR code (routes.report_url is the same path; the
    routes module sits above services, so a test keeps the two equal)."""
    return f"{get_settings().public_url.rstrip('/')}/projects/{project_id}/reports/{report_id}"


def pdf_filename(title: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:80] or "report"
    return f"{stem}.{extension}"


async def _inline_images(tenant_id: uuid.UUID, html: str) -> str:
    wanted = list(dict.fromkeys(m.group(1) for m in _OWN_IMG.finditer(html)))[:INLINE_IMAGES_MAX]
    if not wanted:
        return html
    async with transaction(tenant_id) as session:
        rows = {
            str(i.id): i
            for i in await session.exec(select(NoteImage).where(col(NoteImage.id).in_([uuid.UUID(w) for w in wanted])))
        }
    storage = get_storage()

    def read(key: str) -> bytes | None:
        try:
            return storage.get(key)
        except (LookupError, StorageError):
            return None

    uris: dict[tuple[str, bool], str] = {}
    total = 0
    for match in _OWN_IMG.finditer(html):
        image_id, thumb = match.group(1), bool(match.group(2))
        image = rows.get(image_id)
        if image is None or (image_id, thumb) in uris or total > INLINE_BYTES_MAX:
            continue
        key, media = (image.thumb_key, "image/webp") if thumb else (image.image_key, image.content_type)
        data = await asyncio.to_thread(read, key)
        if data is None:
            continue
        total += len(data)
        uris[(image_id, thumb)] = f"data:{media};base64,{base64.b64encode(data).decode()}"

    def swap(match: re.Match[str]) -> str:
        thumb = bool(match.group(2))
        uri = uris.get((match.group(1), thumb))
        # Unknown, gone or over the limit: an empty src, which the renderer turns into the alt text.
        # A thumbnail stays thumbnail-sized on paper (ours to say: the markup is the renderer's).
        size = f' style="{THUMB_STYLE}"' if thumb and uri else ""
        return f'<img src="{uri or ""}"{size}'

    return _OWN_IMG.sub(swap, html)


async def make_pdf(tenant_id: uuid.UUID, report_id: uuid.UUID) -> PdfStatus | None:
    """Render, store and record the PDF of the report's current revision. None: nothing to do."""
    async with transaction(tenant_id) as session:
        report = await session.get(Report, report_id)
        if report is None:
            return None
        if report.pdf_status == PdfStatus.READY.value and report.pdf_revision == report.revision:
            return PdfStatus.READY
        project = await session.get(Project, report.project_id)
        revision, html, title = report.revision, report.html, report.title
        header = pdf.PdfHeader(
            project=project.name if project else "",
            report_type=ReportKind(report.kind).label,
            date=report.created_at.date(),
        )
        url = report_app_url(report.project_id, report.id)
        project_id = report.project_id
    body = await _inline_images(tenant_id, without_title(html))
    key, error = "", ""
    try:
        document = await pdf.render_pdf(body, title=title, header=header, qr_url=url)
    except pdf.PdfFailed as failed:
        error, document = str(failed), b""
    except Exception:
        # Said in words like any other failure; a person can ask for it again.
        log.exception("rendering the PDF of report %s failed", report_id)
        error, document = INTERNAL_ERROR, b""
    if document:
        key = new_key(tenant_id, project_id, report_id, "pdf")
        try:
            await asyncio.to_thread(get_storage().put, key, document, "application/pdf")
        except StorageError:
            log.warning("storing the PDF of report %s failed", report_id, exc_info=True)
            key, error = "", STORE_FAILED
    return await _record(tenant_id, report_id, revision, key, len(document), error)


async def _record(
    tenant_id: uuid.UUID, report_id: uuid.UUID, revision: int, key: str, size: int, error: str
) -> PdfStatus | None:
    storage = get_storage()
    async with transaction(tenant_id) as session:
        report = (await session.exec(select(Report).where(Report.id == report_id).with_for_update())).first()
        if report is None or report.revision != revision:
            # Deleted meanwhile, or renamed (the next job renders the new title): ours is not wanted.
            if key:
                after_commit(session, lambda: asyncio.to_thread(storage.delete, key))
            return None
        old = report.pdf_key
        if error:
            report.pdf_status, report.pdf_error = PdfStatus.FAILED.value, error
        else:
            report.pdf_status, report.pdf_error, report.pdf_key = PdfStatus.READY.value, "", key
            report.pdf_bytes, report.pdf_revision = size, revision
            if old and old != key:
                after_commit(session, lambda: asyncio.to_thread(storage.delete, old))
        session.add(report)
        await notify(session, RUNS_CHANNEL, reports_key(report.project_id))
        return PdfStatus(report.pdf_status)


async def read_pdf(key: str) -> bytes:
    """The stored PDF (blocking I/O in a thread). Raises LookupError when it is gone."""
    return await asyncio.to_thread(get_storage().get, key)
