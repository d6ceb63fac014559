"""The diagram scripts every page may load: the app's own (`assets/diagrams.js` with the shared
rules of `integrations/diagram_policy.js` in front of it) and Mermaid's bundle under a name made
from its content.

No login: public pages draw diagrams too, and neither script holds anything of a tenant. The
app's script is revalidated by ETag (it is small and changes with a deploy); Mermaid's URL changes
whenever the file does, so browsers may keep it for a year. Both are served from this app, which
the Content-Security-Policy's `script-src 'self'` allows; nothing comes from a CDN.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.integrations.diagram_policy import policy_js
from nyx_app.settings import get_settings

DIAGRAMS_JS = Path(__file__).with_name("assets") / "diagrams.js"
_SCRIPT = "text/javascript; charset=utf-8"


@lru_cache(maxsize=1)
def _mermaid() -> tuple[str, bytes]:
    data = get_settings().pdf_mermaid_js.read_bytes()
    return hashlib.sha256(data).hexdigest()[:16], data


def mermaid_url() -> str:
    try:
        version = _mermaid()[0]
    except OSError:
        version = "missing"
    return routes.MERMAID_JS.format(version=version)


async def serve_mermaid(request: Request) -> Response:
    try:
        version, data = _mermaid()
    except OSError:
        return PlainTextResponse("The diagram script is not installed (./scripts/run installs it).", status_code=404)
    if request.path_params["version"] != version:
        return PlainTextResponse("Not found.", status_code=404)
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=_SCRIPT, headers=headers)


@lru_cache(maxsize=1)
def diagrams_js() -> bytes:
    viewer = DIAGRAMS_JS.read_text(encoding="utf-8").replace("__MERMAID_URL__", mermaid_url())
    return f"{policy_js()}\n{viewer}".encode()


async def serve_diagrams_js(request: Request) -> Response:
    body = diagrams_js()
    etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
    headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=_SCRIPT, headers=headers)


diagram_routes = [
    Route(routes.MERMAID_JS, serve_mermaid, methods=["GET"]),
    Route(routes.DIAGRAMS_JS, serve_diagrams_js, methods=["GET"]),
]
