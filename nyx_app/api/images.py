"""GET /api/images/{image_id}[/thumb]: a note image for the signed-in tenant, and only for it.

The session cookie is resolved on every request (a revoked login stops working at once) and the
row is read under RLS, so another tenant's image id answers 404 exactly like a made-up one.
Local files are streamed from here; S3 objects are a redirect to a short-lived presigned URL.
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
from nyx_app.services import auth, note_images
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound

IMAGE_PATH = "/api/images/{image_id}"
THUMB_PATH = "/api/images/{image_id}/thumb"

# Browsers must not guess a type or run anything in a served file; only this user may cache it.
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
}


def _not_found() -> Response:
    return PlainTextResponse("Image not found.", status_code=404, headers={"Cache-Control": "no-store"})


async def serve_image(request: Request) -> Response:
    ident = await auth.resolve(request.cookies.get(routes.SESSION_COOKIE, ""))
    if ident is None:
        return PlainTextResponse("Please log in.", status_code=401, headers={"Cache-Control": "no-store"})
    thumb = request.url.path.endswith("/thumb")
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    try:
        async with transaction(ident.tenant_id, ident.user_id) as session:
            image = await note_images.get_image(session, ctx, request.path_params["image_id"])
    except NotFound:
        return _not_found()
    key, content_type = (image.thumb_key, "image/webp") if thumb else (image.image_key, image.content_type)
    storage = get_storage()
    presigned = storage.url(key)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302, headers={"Cache-Control": "private, no-store"})
    try:
        data = await asyncio.to_thread(storage.get, key)
    except ObjectNotFound:
        return _not_found()
    headers = {**SAFE_HEADERS, "Cache-Control": "private, max-age=300"}
    return Response(data, media_type=content_type, headers=headers)


def image_url(image_id: uuid.UUID | str) -> str:
    return IMAGE_PATH.format(image_id=image_id)


def thumb_url(image_id: uuid.UUID | str) -> str:
    return THUMB_PATH.format(image_id=image_id)


image_routes = [
    Route(IMAGE_PATH, serve_image, methods=["GET"], name="note_image"),
    Route(THUMB_PATH, serve_image, methods=["GET"], name="note_image_thumb"),
]
