"""GET /api/personas/{persona_id}/portrait[/thumb]: an uploaded persona portrait, for the signed-in
tenant only.

Like the note image route: the session cookie is resolved on every request, the persona is read
under RLS (another tenant's id, or a persona without an uploaded portrait, answers 404 like a
made-up id), local files are streamed, S3 objects are a redirect to a short-lived presigned URL.
The ``?v=`` query a page adds changes with every upload; it only defeats the browser's cache.
"""

from __future__ import annotations

import asyncio
import uuid

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.db.session import transaction
from nyx_app.integrations.storage import ObjectNotFound, get_storage
from nyx_app.services import auth
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.personas import portraits

PORTRAIT_PATH = "/api/personas/{persona_id}/portrait"
PORTRAIT_THUMB_PATH = "/api/personas/{persona_id}/portrait/thumb"

# As for note images: no type guessing, nothing runs in a served file, only this user may cache it.
_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
}


def _not_found() -> Response:
    return PlainTextResponse("Portrait not found.", status_code=404, headers={"Cache-Control": "no-store"})


async def serve_portrait(request: Request) -> Response:
    ident = await auth.resolve(request.cookies.get(routes.SESSION_COOKIE, ""))
    if ident is None:
        return PlainTextResponse("Please log in.", status_code=401, headers={"Cache-Control": "no-store"})
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    try:
        async with transaction(ident.tenant_id, ident.user_id) as session:
            persona = await portraits.portrait_of(session, ctx, request.path_params["persona_id"])
    except NotFound:
        return _not_found()
    if request.url.path.endswith("/thumb"):
        key, content_type = persona.portrait_thumb_key, "image/webp"
    else:
        key, content_type = persona.portrait_key, portraits.content_type_of(persona.portrait_key)
    storage = get_storage()
    presigned = storage.url(key)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302, headers={"Cache-Control": "private, no-store"})
    try:
        data = await asyncio.to_thread(storage.get, key)
    except ObjectNotFound:
        return _not_found()
    return Response(data, media_type=content_type, headers={**_SAFE_HEADERS, "Cache-Control": "private, max-age=3600"})


def portrait_url(persona_id: uuid.UUID | str, tag: str, *, thumb: bool = True) -> str:
    path = (PORTRAIT_THUMB_PATH if thumb else PORTRAIT_PATH).format(persona_id=persona_id)
    return f"{path}?v={tag}"


portrait_routes = [
    Route(PORTRAIT_PATH, serve_portrait, methods=["GET"], name="persona_portrait"),
    Route(PORTRAIT_THUMB_PATH, serve_portrait, methods=["GET"], name="persona_portrait_thumb"),
]
