"""GET /api/public/{project_id}/images/{image_id}[/thumb]: an image of a public note of a
published project, for anyone (no login).

The read goes through ``services.public.public_image``, whose transaction sets no tenant, only
the project id: row-level security then shows nothing but images of that project's public notes
while it is published. Unknown, private, unpublished and other projects' ids all answer the same
404; unpublishing is seen by the next request. Responses may be cached briefly, by the browser
only (``private``), so an unpublish is not undone by a shared cache.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.api.images import SAFE_HEADERS
from nyx_app.integrations.storage import ObjectNotFound, get_storage
from nyx_app.services import public
from nyx_app.services.errors import NotFound


def _not_found() -> Response:
    return PlainTextResponse("Image not found.", status_code=404, headers={"Cache-Control": "no-store"})


async def serve_public_image(request: Request) -> Response:
    try:
        image = await public.public_image(request.path_params["project_id"], request.path_params["image_id"])
    except NotFound:
        return _not_found()
    thumb = request.url.path.endswith("/thumb")
    key, content_type = (image.thumb_key, "image/webp") if thumb else (image.image_key, image.content_type)
    storage = get_storage()
    presigned = storage.url(key)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302, headers={"Cache-Control": "private, no-store"})
    try:
        data = await asyncio.to_thread(storage.get, key)
    except ObjectNotFound:
        return _not_found()
    return Response(data, media_type=content_type, headers={**SAFE_HEADERS, "Cache-Control": "private, max-age=60"})


public_routes = [
    Route(routes.PUBLIC_IMAGE_API, serve_public_image, methods=["GET"], name="public_image"),
    Route(routes.PUBLIC_THUMB_API, serve_public_image, methods=["GET"], name="public_image_thumb"),
]
