"""POST /api/auth/login, /register, /logout: the only places a session cookie is set or cleared.

The login and register pages are plain HTML forms posting here, so the answer (a 303 redirect)
is a full navigation: the page's websocket reconnects and its handshake carries the new cookie.
A refusal redirects back to the form with short codes in the query (services/auth_feedback.py)
and what the user typed in the form-echo cookie. Every route first checks that the form came
from the app's own pages (login CSRF, logout CSRF).

Invitations: the register form of someone who opened an invitation link carries its token
(``invite``); the account is made and joins that workspace in one transaction, with no
workspace of its own. The login form may carry ``next``, a path of this app to go to after
logging in (the page a signed-out visitor opened, or the invitation page); anything that is not
a plain path of this app (``routes.safe_next``) is ignored, so the form cannot be made to send
anyone to another site.

Every successful login or registration also renews the browser's device cookie (services/devices.py):
the login throttle gives a known device an allowance of its own.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.api import cookies
from nyx_app.api.client import client_address, from_own_origin, is_https
from nyx_app.services import auth, devices, invitations, throttle
from nyx_app.services.auth_feedback import Problem, for_invitation, for_throttle, registration_problems
from nyx_app.services.errors import AuthError, InvalidInput, NotFound
from nyx_app.services.throttle import Throttled

FORM_MAX_BYTES = 16 * 1024
_NO_STORE = {"Cache-Control": "no-store"}


class FormTooLarge(Exception):
    pass


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body of a small form (anything else reads as empty)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            raise FormTooLarge
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    except ValueError:
        raise FormTooLarge from None
    return dict(pairs)


def refused_origin() -> Response:
    return PlainTextResponse(
        "Refused: this form was not sent from nyxCore's own pages. Open the page again and retry.",
        status_code=403,
        headers=_NO_STORE,
    )


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def _next(form: dict[str, str]) -> str:
    """Where to go after logging in: only a path of this app; else the dashboard."""
    return routes.safe_next(form.get("next", ""))


def device_cookie(request: Request) -> str:
    return request.cookies.get(routes.DEVICE_COOKIE, "")


def back(
    request: Request,
    page: str,
    problems: list[Problem],
    form: dict[str, str],
    wait: int = 0,
    keep: dict[str, str] | None = None,
) -> Response:
    query = {"error": ",".join(p.value for p in problems)}
    if wait:
        query["wait"] = str(wait)
    query.update({k: v for k, v in (keep or {}).items() if v})
    response = RedirectResponse(f"{page}?{urlencode(query, safe=',')}", status_code=303, headers=_NO_STORE)
    cookies.set_form_cookie(response, form, secure=is_https(request))
    return response


def signed_in(request: Request, token: str, device: str, to: str = "") -> Response:
    """To ``to`` (else the dashboard) with the new login's cookie and the renewed device cookie."""
    secure = is_https(request)
    response = RedirectResponse(to or routes.DASHBOARD, status_code=303, headers=_NO_STORE)
    cookies.set_session_cookie(response, token, secure=secure)
    cookies.set_device_cookie(response, device, secure=secure)
    cookies.clear_form_cookie(response, secure=secure)
    return response


async def login(request: Request) -> Response:
    if not from_own_origin(request):
        return refused_origin()
    try:
        form = await read_form(request)
    except FormTooLarge:
        return PlainTextResponse("The form is too large.", status_code=413, headers=_NO_STORE)
    email, to = form.get("email", ""), _next(form)
    kept, keep = {"email": email}, {"next": to}
    try:
        signed = await auth.sign_in(
            email,
            form.get("password", ""),
            address=client_address(request),
            device_cookie=device_cookie(request),
            user_agent=user_agent(request),
        )
    except Throttled as refused:
        return back(request, routes.LOGIN, [for_throttle(refused)], kept, wait=refused.wait_minutes, keep=keep)
    except AuthError:
        return back(request, routes.LOGIN, [Problem.WRONG_LOGIN], kept, keep=keep)
    return signed_in(request, signed.token, signed.device_cookie, to)


async def register(request: Request) -> Response:
    if not from_own_origin(request):
        return refused_origin()
    try:
        form = await read_form(request)
    except FormTooLarge:
        return PlainTextResponse("The form is too large.", status_code=413, headers=_NO_STORE)
    name, email, password, workspace = (form.get(k, "") for k in ("name", "email", "password", "workspace"))
    invite = form.get("invite", "")
    kept, keep = {"name": name, "email": email, "workspace": workspace}, {"invite": invite}
    problems = registration_problems(email, password, name, workspace, needs_workspace=not invite)
    if problems:
        return back(request, routes.REGISTER, problems, kept, keep=keep)
    address, agent = client_address(request), user_agent(request)
    try:
        if invite:
            token = await invitations.register_and_accept(
                invite, email, password, name, address=address, user_agent=agent
            )
        else:
            token = await auth.register(email, password, name, workspace, address=address, user_agent=agent)
    except Throttled as refused:
        return back(request, routes.REGISTER, [for_throttle(refused)], kept, wait=refused.wait_minutes, keep=keep)
    except auth.EmailTaken:
        return back(request, routes.REGISTER, [Problem.EMAIL_TAKEN], kept, keep=keep)
    except NotFound as refused:  # the invitation matches nothing
        return back(request, routes.REGISTER, [for_invitation(refused.message)], kept, keep=keep)
    except InvalidInput as refused:  # used up or expired invitation; a rule the codes do not name yet
        code = for_invitation(refused.message) if invite else Problem.FAILED
        return back(
            request, routes.REGISTER, [code if code is not Problem.INVITE_INVALID else Problem.FAILED], kept, keep=keep
        )
    return signed_in(request, token, devices.issue(device_cookie(request), throttle.account_key(email)))


async def logout(request: Request) -> Response:
    if not from_own_origin(request):
        return refused_origin()
    token = request.cookies.get(routes.SESSION_COOKIE, "")
    if token:
        await auth.logout(token)
    secure = is_https(request)
    response = RedirectResponse(routes.LOGIN, status_code=303, headers=_NO_STORE)
    cookies.clear_session_cookie(response, secure=secure)
    return response


auth_routes = [
    Route(routes.LOGIN_API, login, methods=["POST"], name="login"),
    Route(routes.REGISTER_API, register, methods=["POST"], name="register"),
    Route(routes.LOGOUT_API, logout, methods=["POST"], name="logout"),
]
