"""The public API under /api/v1: a FastAPI app behind the token gate, mounted beside Reflex's routes.

FastAPI because it builds the OpenAPI document and checks requests from the same typed models the
routes use (no hand-written schema to drift). Its own docs pages load their scripts from a CDN,
so they are off; ``docs.py`` serves the interactive page from files installed with the app.
Every refusal is a problem-details answer (problems.py); services' named errors map to statuses
in one place here.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from nyx_app.api.v1 import docs
from nyx_app.api.v1.deps import Unauthenticated
from nyx_app.api.v1.gate import BodyTooLarge, TokenGate
from nyx_app.api.v1.problems import PROBLEM_SCHEMA, problem
from nyx_app.api.v1.routes_content import router as content_router
from nyx_app.api.v1.routes_reports import router as reports_router
from nyx_app.api.v1.routes_runs import router as runs_router
from nyx_app.services.audit import Via
from nyx_app.services.errors import AuthError, Conflict, InvalidFields, InvalidInput, NotAllowed, NotFound, ServiceError
from nyx_app.services.permissions import ScopeMissing

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
DESCRIPTION = """The nyxCore API: projects, notes (with images), memory, workflows, runs (start,
follow live, cancel), reports and the audit log of your workspace.

**Tokens.** Make one on the Account page (personal) or in workspace settings (owners and admins),
with scopes `read`, `write`, `runs`, `admin`, and send it as `Authorization: Bearer nyx_…`. A token
can do what its scopes allow *and* its member's role allows, now: a member who is removed or
demoted takes their tokens' rights along.

**Limits.** Each workspace has a number of calls per minute (every answer says how many are left
in `RateLimit`; over it, `429` with `Retry-After`). Lists are pages: pass `next_cursor` as
`cursor`. Bodies are JSON (multipart for images).

**Errors** are problem details (RFC 9457, `application/problem+json`); invalid input lists the
message of each field in `errors`. Another workspace's ids answer 404.

**Creating calls** take an `Idempotency-Key` header: the same key with the same request gets the
first answer again (`Idempotent-Replayed: true`), for a day.

**Live runs.** `GET /runs/{id}/events` is a Server-Sent Events stream of the run's typed events;
reconnect with the last event's id in `Last-Event-ID` and you get every event you missed, once.
"""

api_v1 = FastAPI(
    title="nyxCore API",
    version="1",
    description=DESCRIPTION,
    docs_url=None,
    redoc_url=None,
    openapi_url="/openapi.json",
    servers=[{"url": PREFIX}],
)
api_v1.include_router(content_router)
api_v1.include_router(runs_router)
api_v1.include_router(reports_router)
api_v1.include_router(docs.router)

_STATUS = ((NotFound, 404), (ScopeMissing, 403), (NotAllowed, 403), (AuthError, 401), (Conflict, 409))


@api_v1.exception_handler(ServiceError)
async def _service_error(request: Request, exc: ServiceError) -> Response:
    if isinstance(exc, InvalidFields):
        return problem(422, exc.message, kind="invalid", errors=exc.fields)
    if isinstance(exc, InvalidInput):
        return problem(422, exc.message, kind="invalid")
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            tag = {403: "scope" if isinstance(exc, ScopeMissing) else "forbidden", 409: "conflict"}.get(status, "")
            if status == 409 and "Idempotency-Key" in exc.message:
                tag = "idempotency"
            return problem(status, exc.message, kind=tag)
    return problem(400, exc.message)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


@api_v1.exception_handler(RequestValidationError)
async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    errors = {_field(tuple(e.get("loc", ()))): str(e.get("msg", "invalid")) for e in exc.errors()}
    return problem(422, "Some of what was sent is not valid; see errors.", kind="invalid", errors=errors)


@api_v1.exception_handler(ValidationError)
async def _invalid_body(request: Request, exc: ValidationError) -> Response:
    errors = {_field(tuple(e.get("loc", ()))): str(e.get("msg", "invalid")) for e in exc.errors()}
    return problem(422, "The body is not valid; see errors.", kind="invalid", errors=errors)


@api_v1.exception_handler(HTTPException)
async def _http_error(request: Request, exc: HTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else "The request could not be answered."
    if exc.status_code == 404:
        detail = "There is no such API route. The routes are listed at /api/v1/docs."
    if exc.status_code == 405:
        detail = "This route does not take that method."
    return problem(exc.status_code, detail, headers=dict(exc.headers or {}))


@api_v1.exception_handler(BodyTooLarge)
async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
    return problem(413, str(exc), kind="too-large")


@api_v1.exception_handler(Unauthenticated)
async def _unauthenticated(request: Request, exc: Unauthenticated) -> Response:
    return problem(401, "A valid API token is needed.", kind="unauthorized", headers={"WWW-Authenticate": "Bearer"})


@api_v1.exception_handler(Exception)
async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return problem(500, "Something went wrong on our side and nothing was changed. Try again.")


def openapi_document() -> dict[str, Any]:
    """The generated document, plus the problem-details schema and error answers on every route."""
    if api_v1.openapi_schema:
        return api_v1.openapi_schema
    document = get_openapi(
        title=api_v1.title,
        version=api_v1.version,
        description=api_v1.description,
        routes=api_v1.routes,
        servers=api_v1.servers,
    )
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem_ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    shared = {
        "401": "No valid token.",
        "403": "The token's scopes or the member's role do not allow it.",
        "404": "Not found (another workspace's ids too).",
        "422": "Invalid input; errors lists each field's message.",
        "429": "Over the workspace's calls per minute; Retry-After says when to try again.",
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/docs") or path == "/openapi.json":
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own validation shape: ours is a problem
            for status, words in shared.items():
                responses.setdefault(status, {"description": words, "content": problem_ref})
            if method in ("post", "put", "patch"):
                responses.setdefault("413", {"description": "The body is too large.", "content": problem_ref})
                responses.setdefault("415", {"description": "Not JSON (or multipart).", "content": problem_ref})
    api_v1.openapi_schema = document
    return document


api_v1.openapi = openapi_document  # type: ignore[method-assign]

# What the app mounts at /api/v1: the token gate around the API; the document and the docs page
# are open (they describe the API, they give nothing away).
v1_app = TokenGate(api_v1, via=Via.API, open_paths=("/openapi.json", "/docs"))
