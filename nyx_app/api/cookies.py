"""The session cookie and the form-echo cookie: set only by HTTP responses, never by page script.

Session cookie: ``HttpOnly`` (no script can read it, so an XSS cannot steal the login),
``SameSite=Lax``, ``Path=/``, ``Max-Age`` = the session's lifetime, ``Secure`` over HTTPS.
Lax rather than Strict: a link to the app in an e-mail or chat is a cross-site top-level
navigation, and Strict would send it without the cookie, so a link to an authenticated HTTP
route (an image, a download) would answer "please log in" to a signed-in user. Lax still keeps
the cookie off every cross-site subrequest and cross-site POST, the websocket included; the
GET routes change nothing, and the POST routes also check the Origin (api/client.py).

The websocket handshake carries the cookie, which is how the state learns who is signed in
(``session_token`` on the ``Cookie`` header, see state/session.py).

Device cookie (services/devices.py): ``HttpOnly``, ``SameSite=Strict``, ``Path=/api/auth/`` (only
the login and password routes ever see it), lasting ``NYX_DEVICE_COOKIE_DAYS``; renewed by every
successful login and password reset, kept across logouts (it says the browser is known, not who
is signed in).

Form-echo cookie: after a refused form the route redirects back to the page; what the user had
typed (never a password) travels in a signed, HttpOnly cookie that lives two minutes, not in the
URL, so it is neither in logs and history nor something a crafted link could fill in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from starlette.requests import cookie_parser
from starlette.responses import Response

from nyx_app import routes
from nyx_app.services import devices
from nyx_app.settings import get_settings

FORM_COOKIE_SECONDS = 120
_FORM_FIELDS = ("name", "email", "workspace")
_FORM_VALUE_MAX = 320


def session_token(cookie_header: str) -> str:
    """The session token from a ``Cookie`` request header ("" if none)."""
    return cookie_parser(cookie_header or "").get(routes.SESSION_COOKIE, "")


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        routes.SESSION_COOKIE,
        token,
        max_age=get_settings().session_days * 86400,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(routes.SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")


def set_device_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(
        routes.DEVICE_COOKIE,
        value,
        max_age=devices.max_age_seconds(),
        path=routes.DEVICE_COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def _key() -> bytes:
    return hashlib.sha256(b"nyx-form-echo\x00" + get_settings().secret_key.encode()).digest()


def _sign(payload: str) -> str:
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def set_form_cookie(response: Response, values: dict[str, str], *, secure: bool) -> None:
    kept = {k: (values.get(k) or "")[:_FORM_VALUE_MAX] for k in _FORM_FIELDS if values.get(k)}
    if not kept:
        clear_form_cookie(response, secure=secure)
        return
    data = json.dumps({"t": int(time.time()), "v": kept}, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")
    response.set_cookie(
        routes.FORM_COOKIE,
        f"{payload}.{_sign(payload)}",
        max_age=FORM_COOKIE_SECONDS,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_form_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(routes.FORM_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")


def form_values(cookie_header: str) -> dict[str, str]:
    """What the user typed into the form last refused, if this server wrote it minutes ago."""
    raw = cookie_parser(cookie_header or "").get(routes.FORM_COOKIE, "")
    payload, _, signature = raw.partition(".")
    if not payload or not hmac.compare_digest(signature, _sign(payload)):
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        fresh = 0 <= time.time() - float(data["t"]) <= FORM_COOKIE_SECONDS
        values = data["v"] if fresh else {}
    except (ValueError, KeyError, TypeError):
        return {}
    return {k: str(values[k])[:_FORM_VALUE_MAX] for k in _FORM_FIELDS if isinstance(values, dict) and k in values}
