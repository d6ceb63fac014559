"""Security headers on every HTTP response, and no cross-origin writes or websockets.

One ASGI middleware around the whole backend (pages, static assets, API routes, 404s; nyx_app.py
hands it to Reflex as an ``api_transformer``). A header a route set itself is kept, so the image
route's stricter ``default-src 'none'; sandbox`` policy wins over the page policy.

The Content-Security-Policy is what the production build needs and no more:
- scripts: the bundle from 'self', plus the inline scripts of the prerendered pages by their
  SHA-256 (read from the built HTML at start-up), plus ``'unsafe-eval'``: Reflex's client runs
  the actions an event handler sends back (``rx.toast``, ``rx.call_script``/``call_function``) with
  ``eval`` in ``state.js``, and the app shows toasts from many handlers. Inline event-handler
  attributes and injected ``<script>`` elements stay blocked;
- styles: 'self' and ``'unsafe-inline'`` (Radix and emotion write style elements at run time);
- connections: 'self' and the websocket of the app's own origins;
- images: 'self', ``data:``/``blob:`` (previews), and the S3 endpoint when images are redirected to
  presigned URLs;
- nothing may frame the app (``frame-ancestors 'none'`` and X-Frame-Options for old browsers),
  no plugins, no ``<base>``, forms post only to the app.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nyx_app.api.client import origin_allowed
from nyx_app.settings import Settings, get_settings

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def inline_script_hashes(static_dir: Path | None) -> list[str]:
    """CSP sources (``'sha256-…'``) for every inline script in the built pages, sorted."""
    if static_dir is None or not static_dir.is_dir():
        return []
    hashes = {
        base64.b64encode(hashlib.sha256(body).digest()).decode()
        for page in static_dir.rglob("*.html")
        for body in _INLINE_SCRIPT.findall(page.read_bytes())
    }
    return [f"'sha256-{h}'" for h in sorted(hashes)]


def _image_origins(settings: Settings) -> list[str]:
    if settings.storage_backend != "s3":
        return []
    if settings.s3_endpoint_url:
        parts = urlsplit(settings.s3_endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket, region = settings.s3_bucket, settings.s3_region
    return [f"https://{bucket}.s3.{region}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com"]


def _websocket_origins(settings: Settings) -> list[str]:
    # CSP host sources cannot spell an IPv6 literal; 'self' covers the page's own host anyway.
    return [
        ("wss" if o.startswith("https:") else "ws") + o[o.index(":") :]
        for o in settings.allowed_origins
        if "[" not in o
    ]


def content_security_policy(settings: Settings, script_hashes: Iterable[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes, "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_image_origins(settings)],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *_websocket_origins(settings)],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def security_headers(settings: Settings, script_hashes: Iterable[str]) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(settings, script_hashes),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if settings.public_is_https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


class SecurityHeaders:
    """ASGI middleware: the headers above on every response; cross-origin writes and websockets
    refused before they reach any route (CORS only stops the reading of answers)."""

    def __init__(self, app: ASGIApp, static_dir: Path | None = None) -> None:
        self.app = app
        self.static_dir = static_dir
        self._headers: list[tuple[str, str]] | None = None
        self._built: int | None = None

    def _build_stamp(self) -> int | None:
        """When the built pages were last written: another app process started from the same
        folder (deploy/processes.sh) builds them again, and its inline scripts are the ones served."""
        try:
            return (self.static_dir / "index.html").stat().st_mtime_ns if self.static_dir else None
        except OSError:
            return None

    def headers(self) -> list[tuple[str, str]]:
        # Built on the first request (by then the production build exists), again after a rebuild.
        stamp = self._build_stamp()
        if self._headers is None or stamp != self._built:
            values = security_headers(get_settings(), inline_script_hashes(self.static_dir))
            self._headers, self._built = list(values.items()), stamp
        return self._headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if not origin_allowed(Headers(scope=scope).get("origin")):
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        if scope["method"] in _UNSAFE_METHODS and (
            not origin_allowed(request_headers.get("origin")) or request_headers.get("sec-fetch-site") == "cross-site"
        ):
            await self._forbidden(send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in self.headers():
                    if name not in response_headers:
                        response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _forbidden(self, send: Send) -> None:
        body = b"Refused: cross-origin request."
        headers = [(k.lower().encode(), v.encode()) for k, v in self.headers()]
        headers += [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
