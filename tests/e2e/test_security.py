"""The session token out of script's reach, the security headers, framing and cross-origin use,
in Chromium against the running app."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from tests.e2e.helpers import create_project, logout, open_project, register

pytestmark = pytest.mark.e2e

SESSION_COOKIE = "nyx_session"


def session_cookie(page: Page) -> dict:
    found = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert len(found) == 1, found
    return dict(found[0])


def test_page_script_never_sees_the_session_token(page: Page) -> None:
    frames: list[str] = []

    def record(ws: WebSocket) -> None:
        ws.on("framesent", lambda payload: frames.append(str(payload)))
        ws.on("framereceived", lambda payload: frames.append(str(payload)))

    csp_reports: list[str] = []
    page.on("websocket", record)
    page.on("console", lambda msg: "Content Security Policy" in msg.text and csp_reports.append(msg.text))

    register(page, "Tess", "Tess's team")
    create_project(page, "Vault")
    open_project(page, "Vault")
    page.reload()  # a dynamic route loaded in full: its HTML's inline scripts must be allowed too
    expect(page.locator("#project-title")).to_have_text("Vault")
    page.click("#user-name")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    cookie = session_cookie(page)
    token = cookie["value"]
    assert len(token) >= 40
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert token not in page.evaluate("document.cookie")
    assert frames, "no websocket traffic was recorded"
    # The handshake's headers do reach the browser's state, only without the cookie.
    assert any("user_agent" in f for f in frames)
    assert not [f for f in frames if token in f]
    assert csp_reports == []  # the policy blocked nothing the app itself needs

    logout(page)
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def test_every_kind_of_response_carries_the_security_headers(app_url: str) -> None:
    login_html = httpx.get(f"{app_url}/login/").text
    asset = re.search(r'src="(/assets/[^"]+\.js)"', login_html) or re.search(r'href="(/assets/[^"]+)"', login_html)
    assert asset is not None
    answers = {
        "page": httpx.get(f"{app_url}/login/"),
        "static asset": httpx.get(f"{app_url}{asset.group(1)}"),
        "api route": httpx.get(f"{app_url}/api/images/{uuid.uuid4()}"),
        "404": httpx.get(f"{app_url}/no/such/page"),
    }
    assert [a.status_code for a in answers.values()] == [200, 200, 401, 404]
    for what, answer in answers.items():
        h = answer.headers
        assert h["x-frame-options"] == "DENY", what
        assert h["x-content-type-options"] == "nosniff", what
        assert h["referrer-policy"] == "same-origin", what
        assert h["cross-origin-opener-policy"] == "same-origin", what
        csp = h["content-security-policy"]
        for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"):
            assert directive in csp, (what, directive)
        assert "'sha256-" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], what


class _ForeignSite:
    """A page on another origin (another port) that frames the app and calls into it."""

    def __init__(self, app_url: str) -> None:
        page = f"""<!doctype html><title>foreign</title>
            <iframe id="framed" src="{app_url}/login" onload="window.frameDone = true"></iframe>"""
        body = page.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def foreign(app_url: str) -> Iterator[_ForeignSite]:
    site = _ForeignSite(app_url)
    yield site
    site.close()


OPEN_SOCKET = """url => new Promise(done => {
    const ws = new WebSocket(url);
    ws.onopen = () => { ws.close(); done("open"); };
    ws.onclose = () => done("refused");
})"""
READ_API = """url => fetch(url, {credentials: "include"}).then(r => r.text()).then(() => "read", () => "blocked")"""
POST_BLIND = """url => fetch(url, {method: "POST", mode: "no-cors", credentials: "include",
    body: new URLSearchParams({email: "x@example.test", password: "x"})}).then(() => "sent", () => "sent")"""


def test_another_origin_can_neither_frame_nor_use_the_app(
    page: Page, browser: Browser, app_url: str, foreign: _ForeignSite
) -> None:
    register(page, "Uma", "Uma's team")
    socket_url = app_url.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"
    # Control: from the app's own page the websocket opens and the API answers can be read.
    assert page.evaluate(OPEN_SOCKET, socket_url) == "open"
    assert page.evaluate(READ_API, f"{app_url}/ping") == "read"

    # The same browser (signed in to the app) visits a page on another origin.
    other = page.context.new_page()
    console: list[str] = []
    other.on("console", lambda msg: console.append(msg.text))
    other.goto(foreign.url)
    other.wait_for_function("window.frameDone === true")
    framed = other.frame_locator("#framed")
    expect(framed.locator("#login-submit")).to_have_count(0)  # the frame stays empty
    assert any("frame-ancestors 'none'" in m and "blocked" in m for m in console), console
    assert other.evaluate(OPEN_SOCKET, socket_url) == "refused"  # cross-site websocket hijacking
    assert other.evaluate(READ_API, f"{app_url}/ping") == "blocked"  # no permissive CORS answer
    # A forged logout (cookie sent: another port is the same site) changes nothing.
    other.evaluate(POST_BLIND, f"{app_url}/api/auth/logout")
    other.close()
    page.get_by_role("link", name="Projects").click()
    expect(page.locator("#create-project")).to_be_visible()

    # Without a browser in the way: no CORS grant for a foreign Origin, one for the app's own.
    foreign_origin = foreign.url.rstrip("/")
    answer = httpx.get(f"{app_url}/ping", headers={"Origin": foreign_origin})
    assert "access-control-allow-origin" not in answer.headers
    answer = httpx.get(f"{app_url}/ping", headers={"Origin": app_url})
    assert answer.headers["access-control-allow-origin"] == app_url
    preflight = httpx.options(
        f"{app_url}/api/auth/login",
        headers={"Origin": foreign_origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers.get("access-control-allow-origin") != foreign_origin
    refused = httpx.post(f"{app_url}/api/auth/login", headers={"Origin": foreign_origin}, data={"email": "a"})
    assert refused.status_code == 403
