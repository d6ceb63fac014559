"""Report downloads and the public post page over HTTP (ASGI, in-process): who gets what, and what
everybody else gets (401 signed out, 404 for another tenant's or a made-up id)."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from nyx_app import routes
from nyx_app.integrations.pdf import PdfRenderer
from nyx_app.integrations.pdf import renderer as pdf_renderer
from nyx_app.models.report import ReportKind
from nyx_app.services.reports import built, publish, store
from nyx_app.services.reports.pdf import make_pdf
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import Workspace, workspace
from tests.services.reports.helpers import act, flagship_run
from tests.services.reports.test_publish import a_post

__all__ = ["_fake_llm_server", "fake_llm"]
pytestmark = pytest.mark.usefixtures("local_storage")


def as_user(ws: Workspace) -> dict[str, str]:
    return {"cookie": f"{routes.SESSION_COOKIE}={ws.account.token}"}


def url(report_id: object, fmt: str) -> str:
    return routes.report_download_url(str(report_id), fmt)


async def a_report(ws: Workspace, body: str) -> uuid.UUID:
    report = await act(
        ws,
        lambda s, c: store.save_report(
            s, c, project_id=ws.project_id, kind=ReportKind.OVERVIEW, title="Q3: ok/no?", body=body
        ),
    )
    return report.id


async def test_downloads_are_for_the_signed_in_tenant_only(
    tenants: TenantFactory, fake_llm: FakeLLM, web: httpx.AsyncClient
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    other = await workspace(tenants, fake_llm, images=0)
    report_id = await a_report(ws, "# Q3\n\nAll good.")
    assert await make_pdf(ws.ctx.tenant_id, report_id) is not None

    md = await web.get(url(report_id, "markdown"), headers=as_user(ws))
    assert md.status_code == 200 and md.text == "# Q3\n\nAll good."
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.headers["content-disposition"] == 'attachment; filename="Q3-ok-no.md"'
    assert md.headers["x-content-type-options"] == "nosniff" and "no-store" in md.headers["cache-control"]
    pdf = await web.get(url(report_id, "pdf"), headers=as_user(ws))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'attachment; filename="Q3-ok-no.pdf"'

    for fmt in ("markdown", "pdf", "json"):
        assert (await web.get(url(report_id, fmt), headers=as_user(other))).status_code == 404
        assert (await web.get(url(uuid.uuid4(), fmt), headers=as_user(ws))).status_code == 404
        assert (await web.get(url("not-an-id", fmt), headers=as_user(ws))).status_code == 404
        signed_out = await web.get(url(report_id, fmt))
        assert signed_out.status_code == 401 and "All good" not in signed_out.text
        assert (
            await web.get(url(report_id, fmt), headers={"cookie": f"{routes.SESSION_COOKIE}=forged"})
        ).status_code == 401


async def test_a_pdf_not_ready_or_failed_says_so_and_points_at_the_markdown(
    tenants: TenantFactory, fake_llm: FakeLLM, web: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await a_report(ws, "# Broken renderer\n")

    pending = await web.get(url(report_id, "pdf"), headers=as_user(ws))
    assert pending.status_code == 409 and "still being made" in pending.text
    no_browser = PdfRenderer(chromium_path=Path("/nonexistent/chromium"), mermaid_js=Path("/nonexistent/mermaid.js"))
    monkeypatch.setattr(pdf_renderer, "_default", no_browser)
    await make_pdf(ws.ctx.tenant_id, report_id)
    failed = await web.get(url(report_id, "pdf"), headers=as_user(ws))
    assert failed.status_code == 409 and "The PDF could not be made: The PDF renderer is not available" in failed.text
    assert url(report_id, "markdown") in failed.text
    assert (await web.get(url(report_id, "markdown"), headers=as_user(ws))).status_code == 200


async def test_a_diagram_that_cannot_be_drawn_no_longer_fails_the_pdf(
    tenants: TenantFactory, fake_llm: FakeLLM, web: httpx.AsyncClient
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await a_report(ws, "Before.\n\n```mermaid\nnot a diagram at all\n```\n\nAfter.\n")
    await make_pdf(ws.ctx.tenant_id, report_id)
    made = await web.get(url(report_id, "pdf"), headers=as_user(ws))
    assert made.status_code == 200 and made.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(made.content)).pages)
    assert "This diagram could not be drawn: Mermaid does not know this kind of diagram" in text
    assert "not a diagram at all" in text and "After." in text


async def test_a_run_report_downloads_as_json_and_other_reports_do_not(
    tenants: TenantFactory, fake_llm: FakeLLM, web: httpx.AsyncClient
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    run_id = await flagship_run(ws, fake_llm, points=2)
    report = await act(ws, lambda s, c: built.make_run_report(s, c, run_id))
    overview = await a_report(ws, "# x")

    record = await web.get(url(report.id, "json"), headers=as_user(ws))
    assert record.status_code == 200 and record.headers["content-type"] == "application/json"
    assert json.loads(record.content)["run"]["id"] == str(run_id)
    assert (await web.get(url(overview, "json"), headers=as_user(ws))).status_code == 404


async def test_the_public_page_shows_a_published_post_and_404s_once_unpublished(
    tenants: TenantFactory, fake_llm: FakeLLM, web: httpx.AsyncClient
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    post_id = await a_post(ws, "A post <script>alert(1)</script>")
    private_id = await a_post(ws, "Never published")
    public_id = (await act(ws, lambda s, c: publish.publish(s, c, post_id))).public_id
    page_url = routes.public_post_url(str(public_id))

    page = await web.get(page_url)  # no cookie at all
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "A post &lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "What was done" in page.text and "Never published" not in page.text
    assert f'<script src="{routes.DIAGRAMS_JS}" defer></script>' in page.text
    assert ".tok-k {" in page.text  # code colours for the highlighted blocks
    policy = page.headers["content-security-policy"]
    assert (
        "script-src 'self';" in policy
        and "frame-ancestors 'none'" in policy
        and "unsafe-inline" not in policy.split("style-src")[0]
    )

    for guess in (str(private_id), str(post_id), str(uuid.uuid4()), "nope"):
        missing = await web.get(routes.public_post_url(guess))
        assert missing.status_code == 404 and "Never published" not in missing.text

    await act(ws, lambda s, c: publish.unpublish(s, c, post_id))
    gone = await web.get(page_url)
    assert gone.status_code == 404 and "What was done" not in gone.text
