"""The gate in front of the API and the MCP endpoint: who is calling, how often, with what body.

One ASGI middleware, so every route behind it (and the MCP SDK's own app) gets the same rules
before any of its code runs:

- a bearer token (``Authorization: Bearer nyx_…``) resolved to its member and tenant in one short
  transaction, which also counts the call against the tenant's per-minute limit; a wrong, expired,
  revoked or malformed token, or one whose member left, is 401 without saying which;
- over the limit: 429 with ``Retry-After``; every answer carries ``RateLimit-Policy`` and
  ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers);
- bodies only as JSON (or multipart where uploads are taken), at most the configured size, else
  415 / 413 before the route reads anything;
- where the call came from (address, device, token) for the audit log, and, for the REST API, an
  ``api.write`` audit row for every call that changed something.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nyx_app.api.client import client_address
from nyx_app.api.v1.problems import problem
from nyx_app.db.session import transaction
from nyx_app.services import api_limits, api_tokens, audit
from nyx_app.services.api_tokens import Caller
from nyx_app.services.audit import Origin, Via
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MULTIPART_SLACK = 256 * 1024
POLICY = "tenant"


class BodyTooLarge(Exception):
    """A body without Content-Length grew past the limit while it streamed in."""


def bearer(headers: Headers) -> str:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def rate_headers(rate: api_limits.RateState) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{POLICY}";q={rate.limit};w={api_limits.WINDOW_SECONDS}',
        "RateLimit": f'"{POLICY}";r={rate.remaining};t={rate.reset_seconds}',
    }


async def admit(token: str, address: str) -> tuple[Caller | None, api_limits.RateState | None]:
    """The caller and the tenant's count after this call, in one transaction (None: refused)."""
    tenant_id = api_tokens.tenant_of(token)
    if tenant_id is None:
        return None, None
    async with transaction(tenant_id) as session:
        caller = await api_tokens.authenticate_in(session, token, address)
        if caller is None:
            return None, None
        return caller, await api_limits.count_call(session, tenant_id)


class TokenGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        via: Via,
        open_paths: Iterable[str] = (),
        multipart: bool = True,
        audit_writes: bool = True,
    ) -> None:
        self.app = app
        self.via = via
        self.open_paths = tuple(open_paths)
        self.multipart = multipart
        self.audit_writes = audit_writes

    def _is_open(self, path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        path = scope["path"][len(scope.get("root_path", "")) :] or "/"
        origin = Origin(client_address(conn), conn.headers.get("user-agent", ""), self.via)
        audit.set_origin(origin)
        if self._is_open(path):
            await self.app(scope, receive, send)
            return
        caller, rate = await admit(bearer(conn.headers), origin.address)
        if caller is None or rate is None:
            await problem(
                401,
                "A valid API token is needed: send it as 'Authorization: Bearer nyx_…'. Tokens are made on "
                "the Account page or in workspace settings.",
                kind="unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="nyxCore"'},
            )(scope, receive, send)
            return
        limits = rate_headers(rate)
        if rate.exceeded:
            detail = (
                f"This workspace made more than {rate.limit} API calls this minute. "
                f"Try again in {rate.reset_seconds} seconds."
            )
            response = problem(429, detail, kind="rate", headers={**limits, "Retry-After": str(rate.reset_seconds)})
            await response(scope, receive, send)
            return
        refusal = self._check_body(conn)
        if refusal is not None:
            await problem(refusal[0], refusal[1], kind=refusal[2], headers=limits)(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        audit.set_origin(origin.with_token(str(caller.token_id), caller.token_name))
        status = 0

        async def send_with_limits(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in limits.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, self._capped(receive, self._limit(conn)), send_with_limits)
        if self.audit_writes and scope["method"] not in SAFE_METHODS and 200 <= status < 400:
            await self._record_write(caller, scope["method"], path, status)

    def _limit(self, conn: HTTPConnection) -> int:
        settings = get_settings()
        if conn.headers.get("content-type", "").startswith("multipart/form-data"):
            return settings.upload_max_files * settings.upload_max_bytes + MULTIPART_SLACK
        return settings.api_json_max_bytes

    def _check_body(self, conn: HTTPConnection) -> tuple[int, str, str] | None:
        if conn.scope["method"] in SAFE_METHODS or conn.scope["method"] == "DELETE":
            return None
        content_type = conn.headers.get("content-type", "").split(";")[0].strip().lower()
        length = conn.headers.get("content-length")
        if content_type == "" and length in (None, "0"):
            return None  # no body at all (a POST that only acts)
        allowed = {"application/json"} | ({"multipart/form-data"} if self.multipart else set())
        if content_type not in allowed:
            return (
                415,
                f"Send the body as {' or '.join(sorted(allowed))} (not {content_type or 'nothing'}).",
                "media-type",
            )
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                return 400, "The Content-Length header is not a number.", ""
            if size > self._limit(conn):
                return 413, f"The body is too large (at most {self._limit(conn):,} bytes).", "too-large"
        return None

    @staticmethod
    def _capped(receive: Receive, limit: int) -> Receive:
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(f"The body is too large (at most {limit:,} bytes).")
            return message

        return capped

    async def _record_write(self, caller: Caller, method: str, path: str, status: int) -> None:
        try:
            async with transaction(caller.ctx.tenant_id, caller.ctx.user_id) as session:
                await audit.record(
                    session,
                    caller.ctx,
                    audit.AuditAction.API_WRITE,
                    object_type="api",
                    object_label=f"{method} /api/v1{path}"[:300],
                    details={"status": status},
                )
        except Exception:
            log.exception("could not record an API call in the audit log")
