"""A report's PDF through the app's own path: the job body renders the stored HTML with the real
renderer (Chromium), stores it, and records the outcome. Checked as a reader would: pypdf reads it,
its header and page numbers are there, diagrams are drawn, the QR code opens the report."""

from __future__ import annotations

import io
import subprocess
import uuid
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from nyx_app import routes
from nyx_app.integrations.pdf import PdfRenderer
from nyx_app.integrations.pdf import renderer as pdf_renderer
from nyx_app.integrations.storage import LocalStorage
from nyx_app.models.report import PdfStatus, ReportKind
from nyx_app.services.reports import built, store
from nyx_app.services.reports.pdf import make_pdf, read_pdf, report_app_url
from nyx_app.settings import get_settings
from tests.factories import TenantFactory
from tests.fakes import reports as big
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import Workspace, workspace
from tests.services.reports.helpers import act, flagship_run, report_row

pytestmark = pytest.mark.usefixtures("local_storage")


def pages(document: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(document)).pages]


def qr_on_first_page(document: bytes, tmp: Path) -> list[str]:
    source = tmp / "report.pdf"
    source.write_bytes(document)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", source, tmp / "p"], check=True
    )
    return [r.text for r in zxingcpp.read_barcodes(Image.open(tmp / "p.png"))]


async def save(ws: Workspace, body: str, title: str = "A report", kind: ReportKind = ReportKind.RUN) -> uuid.UUID:
    report = await act(
        ws, lambda s, c: store.save_report(s, c, project_id=ws.project_id, kind=kind, title=title, body=body)
    )
    return report.id


async def rendered(ws: Workspace, report_id: uuid.UUID) -> bytes:
    assert await make_pdf(ws.ctx.tenant_id, report_id) == PdfStatus.READY
    row = await report_row(ws, report_id)
    assert row.pdf_status == PdfStatus.READY and row.pdf_revision == row.revision and row.pdf_error == ""
    document = await read_pdf(row.pdf_key)
    assert row.pdf_bytes == len(document)
    return document


async def test_a_run_report_pdf_has_its_header_page_numbers_and_a_qr_code_to_the_report(
    tenants: TenantFactory, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await flagship_run(ws, fake_llm, points=3)
    report = await act(ws, lambda s, c: built.make_run_report(s, c, run_id))

    text = pages(await rendered(ws, report.id))

    total = len(text)
    for number, page in enumerate(text, 1):
        assert "Onboarding" in page and "Run report" in page  # the header: project, type …
        assert f"{date.today():%B %Y}" in page  # … and date
        assert f"Page {number} of {total}" in page
    assert "Run report: Image to implementation" in " ".join(text[0].split())  # the title block
    url = report_app_url(ws.project_id, report.id)
    assert url == get_settings().public_url + routes.report_url(str(ws.project_id), str(report.id))
    assert qr_on_first_page(await rendered(ws, report.id), tmp_path) == [url]


async def test_the_large_report_spans_pages_with_its_diagrams_drawn(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await save(ws, big.flagship_report(), "Image-to-implementation pipeline")

    text = "\n".join(page_texts := pages(await rendered(ws, report_id)))

    assert len(page_texts) > 1
    for label in (*big.FLOWCHART_LABELS, *big.SEQUENCE_LABELS):
        assert label in text  # drawn: the labels are text of the picture …
    for source in big.DIAGRAM_SOURCE_MARKERS:
        assert source not in text  # … and the diagrams' source is nowhere


async def test_the_overview_pdf_shows_the_note_thumbnails(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=1, images=2)
    report = await act(ws, lambda s, c: built.make_overview(s, c, ws.project_id))

    reader = PdfReader(io.BytesIO(await rendered(ws, report.id)))

    assert sum(len(p.images) for p in reader.pages) >= 2  # the thumbnails, not their alt text
    assert "[image:" not in "".join(p.extract_text() for p in reader.pages)


async def test_a_broken_diagram_is_printed_as_its_code_and_the_pdf_is_made(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await save(ws, "# Plan\n\n```mermaid\ngraph TD\n  A --> (((\n```\n\nThe rest.")
    text = "\n".join(pages(await rendered(ws, report_id)))  # made: READY, not FAILED
    assert "This diagram could not be drawn: Mermaid could not read" in text
    assert "A --> (((" in text and "The rest." in text


async def test_a_pdf_that_cannot_be_made_says_why_and_the_markdown_stays(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    body = "# Broken renderer\n\nText."
    report_id = await save(ws, body)
    no_browser = PdfRenderer(chromium_path=Path("/nonexistent/chromium"), mermaid_js=Path("/nonexistent/mermaid.js"))
    monkeypatch.setattr(pdf_renderer, "_default", no_browser)

    assert await make_pdf(ws.ctx.tenant_id, report_id) == PdfStatus.FAILED

    row = await report_row(ws, report_id)
    assert row.pdf_status == PdfStatus.FAILED and row.pdf_key == ""
    assert row.pdf_error.startswith("The PDF renderer is not available: Chromium is missing")
    assert row.markdown == body
    [summary] = await act(ws, lambda s, c: store.list_reports(s, c, ws.project_id))
    assert summary.pdf_status == PdfStatus.FAILED and summary.pdf_error == row.pdf_error


async def test_a_rename_makes_a_new_pdf_and_removes_the_old_file(
    tenants: TenantFactory, fake_llm: FakeLLM, local_storage: LocalStorage
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await save(ws, "# Notes\n\nShort.", "First title")
    first = await rendered(ws, report_id)
    old_key = (await report_row(ws, report_id)).pdf_key

    await act(ws, lambda s, c: store.rename_report(s, c, report_id, "Second title"))
    assert (await report_row(ws, report_id)).pdf_status == PdfStatus.PENDING
    second = await rendered(ws, report_id)

    assert "First title" in pages(first)[0] and "Second title" in pages(second)[0]
    row = await report_row(ws, report_id)
    assert row.pdf_key != old_key and row.revision == 2
    assert [o.key for o in local_storage.list_objects()] == [row.pdf_key]
    assert await make_pdf(ws.ctx.tenant_id, report_id) == PdfStatus.READY  # done: nothing rendered again


async def test_deleting_a_report_removes_its_pdf(
    tenants: TenantFactory, fake_llm: FakeLLM, local_storage: LocalStorage
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await save(ws, "# Notes\n\nShort.")
    await rendered(ws, report_id)

    await act(ws, lambda s, c: store.delete_report(s, c, report_id))

    assert list(local_storage.list_objects()) == []
    assert await make_pdf(ws.ctx.tenant_id, report_id) is None  # a job for a deleted report: nothing
