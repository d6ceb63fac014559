"""Who is asking, and from where: client address, scheme and origin of an HTTP request.

Forwarded headers are believed only from the reverse proxies named in ``NYX_TRUSTED_PROXIES``;
anyone else could write them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from nyx_app.services.audit import Origin, Via, set_origin
from nyx_app.settings import get_settings


def _peer(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else ""


def client_address(conn: HTTPConnection) -> str:
    """The socket's peer; behind trusted proxies, the last X-Forwarded-For hop they did not add."""
    settings = get_settings()
    peer = _peer(conn)
    if not settings.is_trusted_proxy(peer):
        return peer or "unknown"
    hops = [hop.strip() for value in conn.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not settings.is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else peer


def is_https(conn: HTTPConnection) -> bool:
    """Whether the browser reached us over HTTPS (decides the Secure cookie attribute)."""
    settings = get_settings()
    if settings.public_is_https or conn.url.scheme in ("https", "wss"):
        return True
    if settings.is_trusted_proxy(_peer(conn)):
        return conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower() == "https"
    return False


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def from_own_origin(conn: HTTPConnection) -> bool:
    """The request was sent by one of the app's own pages (Origin, else Referer, must match).

    SameSite=Lax keeps the session cookie off cross-site posts, but login CSRF needs no cookie:
    a foreign page could sign the victim into the attacker's account. Browsers send Origin on
    every POST; a request with neither header is refused too.
    """
    allowed = get_settings().allowed_origins
    origin = conn.headers.get("origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = conn.headers.get("referer")
    return referer is not None and _origin_of(referer) in allowed


def origin_allowed(origin: str | None) -> bool:
    """For requests that may come from anywhere: no Origin (not a browser page) is fine."""
    return origin is None or origin.lower() in get_settings().allowed_origins


class RequestOrigin:
    """Tells the audit log where each plain HTTP request (login, logout, downloads) came from."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            conn = HTTPConnection(scope)
            set_origin(Origin(client_address(conn), conn.headers.get("user-agent", ""), Via.WEB))
        await self.app(scope, receive, send)
