"""A run step's answer (or one fan-out item's) as a Markdown file, for the signed-in tenant.

The session is resolved on every request and the row read under RLS (services/runs/outputs.py),
so another tenant's id answers 404 exactly like a made-up one, and a signed-out request 401. A
plain HTTP download: the run page's state never holds the full answer.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.api.stored_files import not_found, please_log_in, signed_in
from nyx_app.db.session import transaction
from nyx_app.services.errors import NotFound
from nyx_app.services.runs.outputs import output_file

_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


async def download_output(request: Request) -> Response:
    ctx = await signed_in(request)
    if ctx is None:
        return please_log_in()
    try:
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            found = await output_file(session, ctx, request.path_params["run_id"], request.path_params["row_id"])
    except NotFound:
        return not_found("Output not found.")
    headers = {**_HEADERS, "Content-Disposition": f'attachment; filename="{found.filename}"'}
    return Response(found.markdown.encode(), media_type="text/markdown; charset=utf-8", headers=headers)


run_output_routes = [Route(routes.RUN_OUTPUT_DOWNLOAD, download_output, methods=["GET"])]
