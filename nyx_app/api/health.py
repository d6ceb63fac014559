"""Health for load balancers and orchestrators. No login, no tenant data.

``/healthz``: the process is alive and its event loop answers (restart it if not).
``/readyz``: it can serve now: database, Redis (when used) and storage each answered in time, and
it is not stopping. 200 or 503, with each check's result as JSON, so an operator sees which part failed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.services import health

_NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


async def readyz(request: Request) -> Response:
    checks = await health.readiness()
    stopping = health.is_stopping()
    ready = all(check.ok for check in checks) and not stopping
    body = {
        "status": "ready" if ready else ("stopping" if stopping else "not ready"),
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, "seconds": c.seconds} for c in checks},
    }
    return JSONResponse(body, status_code=200 if ready else 503, headers=_NO_STORE)


health_routes = [
    Route(routes.HEALTHZ, healthz, methods=["GET", "HEAD"]),
    Route(routes.READYZ, readyz, methods=["GET", "HEAD"]),
]
