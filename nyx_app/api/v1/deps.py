"""What every route takes: the caller (resolved by the gate), a transaction in its tenant, page
parameters, and idempotent creation."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import JSONResponse, Response

from nyx_app.api.v1.problems import problem
from nyx_app.db.session import transaction
from nyx_app.services import api_limits
from nyx_app.services.api_tokens import Caller
from nyx_app.services.errors import NotAllowed
from nyx_app.services.permissions import Scope
from nyx_app.settings import get_settings

# Declares the scheme in the OpenAPI document; the gate (gate.py) has already checked the token.
_bearer = HTTPBearer(auto_error=False, bearerFormat="nyx_…", description="An API token: Authorization: Bearer nyx_…")


class Unauthenticated(Exception):
    pass


def _caller(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]) -> Caller:
    caller = request.scope.get("state", {}).get("caller")
    if caller is None:
        raise Unauthenticated
    return caller


def scoped(scope: Scope) -> Callable[..., Caller]:
    """A dependency: the caller, refused (403) unless its token has ``scope``."""

    def check(caller: Annotated[Caller, Depends(_caller)]) -> Caller:
        if not caller.has(scope):
            raise NotAllowed(f"This API token was not given the {scope.value!r} scope, which this call needs.")
        return caller

    return check


Reader = Annotated[Caller, Depends(scoped(Scope.READ))]
AnyCaller = Annotated[Caller, Depends(_caller)]


def limit_query() -> Any:
    return Query(25, ge=1, le=get_settings().api_page_size_max, description="Items per page.")


Cursor = Annotated[str | None, Query(description="From the previous page's next_cursor.", max_length=400)]


@asynccontextmanager
async def tenant_session(caller: Caller) -> AsyncIterator[AsyncSession]:
    async with transaction(caller.ctx.tenant_id, caller.ctx.user_id) as session:
        yield session


def json_response(status: int, payload: Any, location: str = "") -> JSONResponse:
    headers = {"Location": location} if location else {}
    return JSONResponse(jsonable_encoder(payload), status_code=status, headers=headers)


async def create_once(
    request: Request,
    caller: Caller,
    make: Callable[[AsyncSession], Awaitable[tuple[Any, str]]],
    *,
    status: int = 201,
) -> Response:
    """Run ``make`` (returns the created thing and its URL) in one transaction; with an
    ``Idempotency-Key`` header the key is claimed in that same transaction and the answer stored,
    so a repeated call gets the first answer (``Idempotent-Replayed: true``)."""
    raw_key = request.headers.get("idempotency-key")
    async with tenant_session(caller) as session:
        row_id: uuid.UUID | None = None
        if raw_key is not None:
            key = api_limits.check_key(raw_key)
            fingerprint = api_limits.request_hash(request.method, request.url.path, await request.body())
            row_id, stored = await api_limits.claim_key(
                session, caller.ctx.tenant_id, caller.token_id, key, fingerprint
            )
            if stored is not None:
                headers = {"Idempotent-Replayed": "true", **({"Location": stored.location} if stored.location else {})}
                return Response(
                    stored.body, status_code=stored.status_code, media_type=stored.content_type, headers=headers
                )
        made, location = await make(session)
        body = jsonable_encoder(made)
        if row_id is not None:
            await api_limits.store_answer(session, row_id, status, json.dumps(body), "application/json", location)
    return json_response(status, body, location)


def refused(status: int, detail: str) -> Response:
    return problem(status, detail)
