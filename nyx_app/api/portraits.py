"""GET /api/personas/{persona_id}/portrait[/thumb]: an uploaded persona portrait, for the signed-in
tenant only.

Like the note image route: the session cookie is resolved on every request, the persona is read
under RLS (another tenant's id, or a persona without an uploaded portrait, answers 404 like a
made-up id), local files are streamed, S3 objects are a redirect to a short-lived presigned URL.
The ``?v=`` query a page adds changes with every upload; it only defeats the browser's cache.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nyx_app.api.stored_files import not_found, please_log_in, signed_in, stored_object, wants_thumb
from nyx_app.db.session import transaction
from nyx_app.services.errors import NotFound
from nyx_app.services.personas import portraits

PORTRAIT_PATH = "/api/personas/{persona_id}/portrait"
PORTRAIT_THUMB_PATH = "/api/personas/{persona_id}/portrait/thumb"
MISSING = "Portrait not found."


async def serve_portrait(request: Request) -> Response:
    ctx = await signed_in(request)
    if ctx is None:
        return please_log_in()
    try:
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            persona = await portraits.portrait_of(session, ctx, request.path_params["persona_id"])
    except NotFound:
        return not_found(MISSING)
    if wants_thumb(request):
        key, content_type = persona.portrait_thumb_key, "image/webp"
    else:
        key, content_type = persona.portrait_key, portraits.content_type_of(persona.portrait_key)
    # An hour: the ``?v=`` tag in the URL changes with every upload.
    return await stored_object(key, content_type, max_age=3600, missing=MISSING)


def portrait_url(persona_id: uuid.UUID | str, tag: str, *, thumb: bool = True) -> str:
    path = (PORTRAIT_THUMB_PATH if thumb else PORTRAIT_PATH).format(persona_id=persona_id)
    return f"{path}?v={tag}"


portrait_routes = [
    Route(PORTRAIT_PATH, serve_portrait, methods=["GET"], name="persona_portrait"),
    Route(PORTRAIT_THUMB_PATH, serve_portrait, methods=["GET"], name="persona_portrait_thumb"),
]
