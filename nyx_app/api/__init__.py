"""Plain HTTP routes next to Reflex's websocket (login forms, files). Each checks the session itself.

Routes register on ``api`` (a Starlette app); nyx_app.py hands it to Reflex as an api_transformer,
followed by ``SecurityHeaders`` around everything.
"""

from starlette.applications import Starlette
from starlette.routing import Route

from nyx_app.api.auth_routes import auth_routes
from nyx_app.api.images import image_routes
from nyx_app.api.portraits import portrait_routes
from nyx_app.api.public import public_routes
from nyx_app.api.reports import report_routes
from nyx_app.api.run_outputs import run_output_routes
from nyx_app.api.security import SecurityHeaders

routes: list[Route] = [
    *auth_routes,
    *image_routes,
    *portrait_routes,
    *public_routes,
    *report_routes,
    *run_output_routes,
]
api = Starlette(routes=routes)

__all__ = ["SecurityHeaders", "api", "routes"]
