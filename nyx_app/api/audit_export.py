"""GET /api/audit/export: the audit log page's CSV or JSON download, for a signed-in owner or admin.

A file, not a websocket message: it can be large. The session is resolved on the request like
every file route; filters come in the query exactly as the page shows them; the export is itself
recorded in the log.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.api.stored_files import please_log_in, signed_in
from nyx_app.db.session import transaction
from nyx_app.services.audit.log import ExportFormat, export, parse_filter
from nyx_app.services.errors import InvalidInput, NotAllowed

_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


async def audit_export(request: Request) -> Response:
    ctx = await signed_in(request)
    if ctx is None:
        return please_log_in()
    query = request.query_params
    try:
        fmt = ExportFormat(query.get("format", "csv"))
        flt = parse_filter(
            query.get("actor", ""), query.get("action", ""), query.get("since", ""), query.get("until", "")
        )
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            body, _ = await export(session, ctx, flt, fmt)
    except ValueError:
        return PlainTextResponse("Choose csv or json.", status_code=400, headers=_HEADERS)
    except InvalidInput as refused:
        return PlainTextResponse(refused.message, status_code=400, headers=_HEADERS)
    except NotAllowed as refused:
        return PlainTextResponse(refused.message, status_code=403, headers=_HEADERS)
    media = "text/csv; charset=utf-8" if fmt is ExportFormat.CSV else "application/json"
    disposition = f'attachment; filename="nyxcore-audit-log.{fmt.value}"'
    return Response(body, media_type=media, headers={**_HEADERS, "Content-Disposition": disposition})


audit_routes = [Route(routes.AUDIT_EXPORT, audit_export, methods=["GET"])]
