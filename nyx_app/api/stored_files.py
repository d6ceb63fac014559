"""What the routes that hand out stored files share: who is asking, and how the bytes leave.

Images are user uploads: the browser must not guess a type or run anything in them, whatever they
contain. Local files are streamed from here; S3 objects are a redirect to a short-lived presigned
URL (never cached: the URL expires). Every refusal is ``no-store``, so a 404 seen while a project
was private is not remembered after it is published, or the other way round.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from nyx_app import routes
from nyx_app.integrations.storage import ObjectNotFound, get_storage
from nyx_app.services import auth
from nyx_app.services.context import TenantContext

SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
}
_NO_STORE = {"Cache-Control": "no-store"}


def not_found(text: str) -> Response:
    return PlainTextResponse(text, status_code=404, headers=_NO_STORE)


def please_log_in() -> Response:
    return PlainTextResponse("Please log in.", status_code=401, headers=_NO_STORE)


async def signed_in(request: Request) -> TenantContext | None:
    """The requester's tenant context from the session cookie, resolved again on every request
    (a revoked login stops working at once); None without a live session."""
    ident = await auth.resolve(request.cookies.get(routes.SESSION_COOKIE, ""))
    return None if ident is None else TenantContext(ident.tenant_id, ident.user_id, ident.role)


def wants_thumb(request: Request) -> bool:
    return request.url.path.endswith("/thumb")


async def stored_object(key: str, content_type: str, *, max_age: int, missing: str) -> Response:
    """The object under ``key``: streamed from local storage, or a redirect to S3. ``max_age`` is
    how long the requester's own browser may keep it (``private``: never a shared cache)."""
    storage = get_storage()
    presigned = storage.url(key)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302, headers={"Cache-Control": "private, no-store"})
    try:
        data = await asyncio.to_thread(storage.get, key)
    except ObjectNotFound:
        return not_found(missing)
    return Response(
        data, media_type=content_type, headers={**SAFE_HEADERS, "Cache-Control": f"private, max-age={max_age}"}
    )
