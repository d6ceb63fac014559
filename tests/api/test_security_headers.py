"""The security middleware in-process: headers on every response, the CSP it builds, refusals."""

from __future__ import annotations

import base64
import hashlib
import runpy
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from nyx_app.api import SecurityHeaders, api
from nyx_app.api.images import image_url
from nyx_app.api.security import content_security_policy, inline_script_hashes
from nyx_app.integrations.storage import Storage
from nyx_app.routes import SESSION_COOKIE
from nyx_app.settings import ROOT_DIR, Settings
from tests.api.conftest import ORIGIN
from tests.api.test_images import uploaded_image
from tests.factories import TenantFactory

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


@pytest.fixture
def built_pages(tmp_path: Path) -> Path:
    (tmp_path / "login").mkdir()
    (tmp_path / "index.html").write_text(
        '<html><head><script src="/assets/app.js"></script><script>window.a = 1;</script></head>'
        '<body><script type="module">import "/assets/x.js";\n</script></body></html>'
    )
    (tmp_path / "login" / "index.html").write_text("<script>window.a = 1;</script><SCRIPT id=r>b()</SCRIPT>")
    return tmp_path


async def test_headers_on_api_routes_404s_and_refusals(
    db: None, built_pages: Path, settings_env: Callable[..., Settings]
) -> None:
    app = SecurityHeaders(api, static_dir=built_pages)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        answers = [
            await client.get("/api/images/00000000-0000-0000-0000-000000000000"),  # 401
            await client.get("/no/such/route"),  # 404
            await client.get("/api/auth/login"),  # 405
            await client.post("/api/auth/login", headers={"Origin": "https://evil.example"}),  # 403
        ]
    assert [a.status_code for a in answers] == [401, 404, 405, 403]
    for answer in answers:
        for name, value in EXPECTED.items():
            assert answer.headers[name] == value
        csp = directives(answer.headers["content-security-policy"])
        assert csp["script-src"] == [
            "'self'",
            *sorted([sha256("window.a = 1;"), sha256('import "/assets/x.js";\n'), sha256("b()")]),
            "'unsafe-eval'",
        ]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == csp["base-uri"] == ["'none'"]
        assert csp["form-action"] == csp["default-src"] == ["'self'"]
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
        assert csp["connect-src"] == ["'self'", "ws://nyx.test"]
        assert csp["img-src"] == ["'self'", "data:", "blob:"]
        assert "strict-transport-security" not in answer.headers


async def test_the_image_route_keeps_its_stricter_policy(
    tenants: TenantFactory, local_storage: Storage, settings_env: Callable[..., Settings]
) -> None:
    alice = await tenants.create()
    image_id = await uploaded_image(alice)
    app = SecurityHeaders(api)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        answer = await client.get(image_url(image_id), headers={"cookie": f"{SESSION_COOKIE}={alice.token}"})
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert answer.headers["x-frame-options"] == "DENY"


def test_policy_follows_the_settings() -> None:
    https = Settings(public_url="https://nyx.example.com")
    csp = directives(content_security_policy(https, []))
    assert csp["connect-src"] == ["'self'", "wss://nyx.example.com"]
    assert csp["script-src"] == ["'self'", "'unsafe-eval'"]
    s3 = Settings(
        storage_backend="s3", s3_endpoint_url="http://minio.internal:9000/", public_url="http://localhost:3000"
    )
    csp = directives(content_security_policy(s3, []))
    assert csp["img-src"] == ["'self'", "data:", "blob:", "http://minio.internal:9000"]
    assert csp["connect-src"] == ["'self'", "ws://localhost:3000", "ws://127.0.0.1:3000"]
    aws = Settings(storage_backend="s3", s3_bucket="pics", s3_region="eu-west-1")
    assert "https://pics.s3.eu-west-1.amazonaws.com" in directives(content_security_policy(aws, []))["img-src"]
    assert inline_script_hashes(None) == [] == inline_script_hashes(Path("/nonexistent"))


def _write_app() -> Starlette:
    async def write(request: object) -> PlainTextResponse:
        return PlainTextResponse("written")

    return Starlette(routes=[Route("/write", write, methods=["POST", "DELETE"])])


async def _open_websocket(origin: str | None) -> tuple[bool, list[Message]]:
    """Offer a websocket to the middleware; whether the app behind it saw it, and what was sent."""
    reached: list[bool] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(True)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"origin", origin.encode())] if origin else []
    await SecurityHeaders(inner)({"type": "websocket", "path": "/_event/", "headers": headers}, receive, send)
    return bool(reached), sent


async def test_cross_origin_websockets_and_writes_never_reach_the_app(settings_env: Callable[..., Settings]) -> None:
    assert await _open_websocket(ORIGIN) == (True, [])
    assert await _open_websocket(None) == (True, [])  # not a browser page
    assert await _open_websocket("https://evil.example") == (False, [{"type": "websocket.close", "code": 1008}])

    transport = httpx.ASGITransport(app=SecurityHeaders(_write_app()))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        assert (await client.post("/write", headers={"Origin": ORIGIN})).text == "written"
        assert (await client.post("/write")).text == "written"  # no Origin: not a cross-site browser request
        for headers in ({"Origin": "https://evil.example"}, {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"}):
            answer = await client.delete("/write", headers=headers)
            assert answer.status_code == 403 and answer.text != "written"
            assert answer.headers["x-frame-options"] == "DENY"


async def test_hsts_only_when_the_app_is_served_over_https(settings_env: Callable[..., Settings]) -> None:
    settings_env(public_url="https://nyx.example.com")
    transport = httpx.ASGITransport(app=SecurityHeaders(_write_app()))
    async with httpx.AsyncClient(transport=transport, base_url="https://nyx.example.com") as client:
        answer = await client.post("/write")
    assert answer.headers["strict-transport-security"] == "max-age=31536000"


def test_cors_allows_only_the_public_origin(settings_env: Callable[..., Settings]) -> None:
    settings_env(public_url="https://nyx.example.com")
    config = runpy.run_path(str(ROOT_DIR / "rxconfig.py"))["config"]  # read afresh, not the imported one
    assert list(config.cors_allowed_origins) == ["https://nyx.example.com"]
