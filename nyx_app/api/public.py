"""GET /api/public/{project_id}/images/{image_id}[/thumb]: an image of a public note of a
published project, for anyone (no login).

The read goes through ``services.public.public_image``, whose transaction sets no tenant, only
the project id: row-level security then shows nothing but images of that project's public notes
while it is published. Unknown, private, unpublished and other projects' ids all answer the same
404; unpublishing is seen by the next request. Responses may be cached briefly, by the browser
only (``private``), so an unpublish is not undone by a shared cache.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.api.stored_files import not_found, stored_object, wants_thumb
from nyx_app.services import public
from nyx_app.services.errors import NotFound

MISSING = "Image not found."


async def serve_public_image(request: Request) -> Response:
    try:
        image = await public.public_image(request.path_params["project_id"], request.path_params["image_id"])
    except NotFound:
        return not_found(MISSING)
    key, content_type = (
        (image.thumb_key, "image/webp") if wants_thumb(request) else (image.image_key, image.content_type)
    )
    # A minute: an unpublish should not stay undone for long in a visitor's browser.
    return await stored_object(key, content_type, max_age=60, missing=MISSING)


public_routes = [
    Route(routes.PUBLIC_IMAGE_API, serve_public_image, methods=["GET"], name="public_image"),
    Route(routes.PUBLIC_THUMB_API, serve_public_image, methods=["GET"], name="public_image_thumb"),
]
