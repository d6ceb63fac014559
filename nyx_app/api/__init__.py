"""Plain HTTP routes next to Reflex's websocket (login forms, files). Each checks the session itself.

Routes register on ``api`` (a Starlette app); nyx_app.py hands it to Reflex as an api_transformer,
followed by ``SecurityHeaders`` around everything. The public API (``/api/v1``, token gate and
FastAPI) and the MCP endpoint (``/mcp``, same gate) are mounted here too; ``mcp_endpoint.running``
is a lifespan task of the app.
"""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from nyx_app import routes as urls
from nyx_app.api.audit_export import audit_routes
from nyx_app.api.auth_routes import auth_routes
from nyx_app.api.client import RequestOrigin
from nyx_app.api.diagram_assets import diagram_routes
from nyx_app.api.health import health_routes
from nyx_app.api.images import image_routes
from nyx_app.api.mcp_server import build_endpoint
from nyx_app.api.metrics import metrics_routes
from nyx_app.api.password_routes import password_routes
from nyx_app.api.portraits import portrait_routes
from nyx_app.api.public import public_routes
from nyx_app.api.reports import report_routes
from nyx_app.api.run_outputs import run_output_routes
from nyx_app.api.security import SecurityHeaders
from nyx_app.api.v1.app import v1_app

mcp_endpoint = build_endpoint()
routes: list[BaseRoute] = [
    *auth_routes,
    *password_routes,
    *image_routes,
    *portrait_routes,
    *public_routes,
    *report_routes,
    *diagram_routes,
    *audit_routes,
    *health_routes,
    *metrics_routes,
    *run_output_routes,
    Mount(urls.API_V1, app=v1_app),
    Route(urls.MCP, endpoint=mcp_endpoint.app, methods=["GET", "POST", "DELETE"]),
]
api = Starlette(routes=routes, middleware=[Middleware(RequestOrigin)])

__all__ = ["SecurityHeaders", "api", "mcp_endpoint", "routes"]
