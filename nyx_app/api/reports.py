"""Reports over plain HTTP: downloads (Markdown, PDF, a run's raw record as JSON) for the signed-in
tenant, and the public page of a published dev-log post (its diagrams drawn by the app's diagram
script, api/diagram_assets.py).

Downloads resolve the session cookie on every request and read the report under RLS, so another
tenant's report id answers 404 exactly like a made-up one, and a signed-out request 401. They are
files, not websocket messages: a 40-page PDF is a normal HTTP response the browser saves.

The public page needs no login and shows one published post and nothing else; how its read stays
inside that one row is explained in services/reports/publish.py. It is a small server-rendered
page with a strict policy of its own: scripts only from this app (the diagram scripts), no forms,
no frames, nothing from outside.
"""

from __future__ import annotations

import html
import json

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.api.stored_files import not_found, please_log_in, signed_in
from nyx_app.db.session import transaction
from nyx_app.integrations.code_highlight import print_stylesheet
from nyx_app.models.report import PdfStatus, Report, ReportKind
from nyx_app.services import audit
from nyx_app.services.errors import NotFound
from nyx_app.services.reports import publish
from nyx_app.services.reports.pdf import pdf_filename, read_pdf
from nyx_app.services.reports.store import get_report

_NO_STORE = {"Cache-Control": "private, no-store"}
# A file the browser must save, never run or sniff.
_FILE_HEADERS = {
    **_NO_STORE,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
PUBLIC_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _text(message: str, status: int) -> Response:
    return PlainTextResponse(message, status_code=status, headers=_NO_STORE)


async def _report(request: Request, fmt: str) -> Report | Response:
    ctx = await signed_in(request)
    if ctx is None:
        return please_log_in()
    try:
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            report = await get_report(session, ctx, request.path_params["report_id"])
            # A download is an export: it leaves a row in the audit log.
            await audit.record(
                session,
                ctx,
                audit.AuditAction.EXPORTED,
                object_type="report",
                object_id=report.id,
                object_label=report.title,
                details={"format": fmt},
            )
            return report
    except NotFound:
        return not_found("Report not found.")


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    headers = {**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


async def download_markdown(request: Request) -> Response:
    report = await _report(request, "markdown")
    if isinstance(report, Response):
        return report
    body = report.markdown.encode()
    return _attachment(body, "text/markdown; charset=utf-8", pdf_filename(report.title, "md"))


async def download_record(request: Request) -> Response:
    report = await _report(request, "json")
    if isinstance(report, Response):
        return report
    if report.kind != ReportKind.RUN.value or not report.data:
        return _text("This report has no run record.", 404)
    body = json.dumps(report.data, indent=2, ensure_ascii=False).encode()
    return _attachment(body, "application/json", pdf_filename(report.title, "json"))


async def download_pdf(request: Request) -> Response:
    report = await _report(request, "pdf")
    if isinstance(report, Response):
        return report
    markdown_url = routes.report_download_url(str(report.id), "markdown")
    if report.pdf_status == PdfStatus.FAILED.value:
        return _text(f"The PDF could not be made: {report.pdf_error} The Markdown is here: {markdown_url}", 409)
    if report.pdf_status != PdfStatus.READY.value or not report.pdf_key:
        return _text(f"The PDF is still being made; try again in a moment. The Markdown is here: {markdown_url}", 409)
    try:
        body = await read_pdf(report.pdf_key)
    except LookupError:
        return _text(f"The PDF file is missing; make it again from the report. The Markdown: {markdown_url}", 409)
    return _attachment(body, "application/pdf", pdf_filename(report.title, "pdf"))


_PAGE_STYLE = """
body { margin: 0; font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1f2328; }
main { max-width: 46rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; line-height: 1.65; font-size: 1.05rem; }
header p.summary { font-size: 1.15rem; color: #424a53; margin: 0.4rem 0 0.8rem; }
.meta { color: #57606a; font-size: 0.9rem; }
.tags span { display: inline-block; background: #eef1f4; border-radius: 999px; padding: 0 0.6rem;
  margin: 0 0.3rem 0.3rem 0; font-size: 0.85rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0; }
h2 { margin-top: 2rem; padding-bottom: 0.2rem; border-bottom: 1px solid #d0d7de; }
pre { background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 6px; padding: 0.8rem 1rem; overflow-x: auto; }
code { font-family: ui-monospace, 'JetBrains Mono', monospace; font-size: 0.9em; }
table { border-collapse: collapse; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; }
blockquote { margin: 1rem 0; padding: 0.3rem 1rem; border-left: 3px solid #8c959f; background: #f6f8fa; }
figure.nyx-diagram { margin: 1.2rem 0; text-align: center; }
figure.nyx-diagram svg { max-width: 100%; height: auto; }
.nyx-diagram-error, .nyx-diagram-note { color: #9a6700; font-size: 0.9rem; }
footer { margin-top: 3rem; color: #57606a; font-size: 0.85rem; }
"""


def _public_page(post: publish.PublicPost) -> str:
    e = html.escape
    tags = "".join(f"<span>{e(t)}</span>" for t in post.tags)
    day = f"{post.published_at.day} {post.published_at:%B %Y}"
    named = [f"By {e(post.author)}" if post.author else "", f"on {e(post.project)}" if post.project else ""]
    byline = " ".join(n for n in named if n) + (" · " if any(named) else "")
    # The post opens with its title, summary and tags, which the page's header shows: start at its
    # first section.
    first_section = post.html.find("<h2")
    body = post.html[first_section:] if first_section > 0 else post.html
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{e(post.title)}</title>
<style>{_PAGE_STYLE}{print_stylesheet()}</style>
<script src="{routes.DIAGRAMS_JS}" defer></script>
</head><body><main>
<header><h1>{e(post.title)}</h1>
<p class="summary">{e(post.summary)}</p>
<p class="meta">{byline}Published {e(day)}</p>
<p class="tags">{tags}</p></header>
<article class="post-body">{body}</article>
<footer>A dev-log post published with nyxCore.</footer>
</main></body></html>"""


_NOT_FOUND_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><main><h1>Not found</h1><p>There is no published post at this address.</p></main></body></html>"""


async def public_post(request: Request) -> Response:
    post = await publish.read_public_post(request.path_params["public_id"])
    headers = {"Content-Security-Policy": PUBLIC_PAGE_CSP, "Referrer-Policy": "no-referrer"}
    if post is None:
        return Response(_NOT_FOUND_PAGE, status_code=404, media_type="text/html", headers={**headers, **_NO_STORE})
    # Unpublishing must take effect at once: no shared cache may keep the page.
    headers["Cache-Control"] = "no-cache"
    return Response(_public_page(post), media_type="text/html", headers=headers)


report_routes = [
    Route(routes.REPORT_DOWNLOAD.format(report_id="{report_id}", fmt="markdown"), download_markdown, methods=["GET"]),
    Route(routes.REPORT_DOWNLOAD.format(report_id="{report_id}", fmt="pdf"), download_pdf, methods=["GET"]),
    Route(routes.REPORT_DOWNLOAD.format(report_id="{report_id}", fmt="json"), download_record, methods=["GET"]),
    Route(routes.PUBLIC_POST, public_post, methods=["GET"]),
]
