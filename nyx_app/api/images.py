"""GET /api/images/{image_id}[/thumb]: a note image for the signed-in tenant, and only for it.

The session cookie is resolved on every request (a revoked login stops working at once) and the
row is read under RLS, so another tenant's image id answers 404 exactly like a made-up one.
How the bytes leave (and the headers they carry) is shared with the other image routes
(``stored_files``).
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nyx_app.api.stored_files import not_found, please_log_in, signed_in, stored_object, wants_thumb
from nyx_app.db.session import transaction
from nyx_app.services import note_images
from nyx_app.services.errors import NotFound

IMAGE_PATH = "/api/images/{image_id}"
THUMB_PATH = "/api/images/{image_id}/thumb"
MISSING = "Image not found."


async def serve_image(request: Request) -> Response:
    ctx = await signed_in(request)
    if ctx is None:
        return please_log_in()
    try:
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            image = await note_images.get_image(session, ctx, request.path_params["image_id"])
    except NotFound:
        return not_found(MISSING)
    key, content_type = (
        (image.thumb_key, "image/webp") if wants_thumb(request) else (image.image_key, image.content_type)
    )
    return await stored_object(key, content_type, max_age=300, missing=MISSING)


def image_url(image_id: uuid.UUID | str) -> str:
    return IMAGE_PATH.format(image_id=image_id)


def thumb_url(image_id: uuid.UUID | str) -> str:
    return THUMB_PATH.format(image_id=image_id)


image_routes = [
    Route(IMAGE_PATH, serve_image, methods=["GET"], name="note_image"),
    Route(THUMB_PATH, serve_image, methods=["GET"], name="note_image_thumb"),
]
