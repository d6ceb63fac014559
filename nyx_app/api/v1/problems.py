"""Errors as problem details (RFC 9457): ``application/problem+json`` with type, title, status,
detail, and for invalid input the field-by-field ``errors``. Every refusal of the API and of the
MCP endpoint's gate answers this way."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
# Problem types with a meaning of their own; the rest are "about:blank" (the status says it all).
TYPES = {
    "unauthorized": "urn:nyx:problem:unauthorized",
    "scope": "urn:nyx:problem:scope-missing",
    "forbidden": "urn:nyx:problem:forbidden",
    "rate": "urn:nyx:problem:rate-limited",
    "invalid": "urn:nyx:problem:invalid-input",
    "idempotency": "urn:nyx:problem:idempotency-key-reused",
    "conflict": "urn:nyx:problem:conflict",
    "too-large": "urn:nyx:problem:body-too-large",
    "media-type": "urn:nyx:problem:unsupported-media-type",
}


def problem(
    status: int,
    detail: str,
    *,
    kind: str = "",
    instance: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPES.get(kind, "about:blank"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type=MEDIA_TYPE, headers={"Cache-Control": "no-store", **(headers or {})}
    )


# For the OpenAPI document: the shape every error response has.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem (about:blank: see status)."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, in words a person can act on."},
        "instance": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "For invalid input: the message for each field.",
        },
    },
}
