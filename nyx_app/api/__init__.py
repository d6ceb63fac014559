"""Plain HTTP routes next to Reflex's websocket (files, downloads). Each checks the session itself.

Routes register on ``api`` (a Starlette app); nyx_app.py hands it to Reflex as api_transformer.
"""

from starlette.applications import Starlette
from starlette.routing import Route

from nyx_app.api.images import image_routes
from nyx_app.api.portraits import portrait_routes

routes: list[Route] = [*image_routes, *portrait_routes]
api = Starlette(routes=routes)
