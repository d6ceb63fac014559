"""POST /api/auth/forgot-password and /api/auth/reset-password: the "forgot password" forms.

Like the login form these are plain HTML forms (api/auth_routes.py): the answer is a redirect
carrying short codes, and only an HTTP response can set the cookies a reset ends with (the new
login, the device cookie).

Asking for a link answers the same redirect for every well-formed address, and only then looks
the account up, makes the link and sends the mail (a background task, run after the answer has
been sent), so neither the words nor the time of the answer say whether an account exists.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.api.auth_routes import (
    FormTooLarge,
    back,
    device_cookie,
    read_form,
    refused_origin,
    signed_in,
    user_agent,
)
from nyx_app.api.client import client_address, from_own_origin
from nyx_app.services import password_reset
from nyx_app.services.auth_feedback import Problem, for_reset, for_throttle, password_problem
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.throttle import Throttled
from nyx_app.settings import get_settings

_NO_STORE = {"Cache-Control": "no-store"}
_TOO_LARGE = PlainTextResponse("The form is too large.", status_code=413, headers=_NO_STORE)


def reset_link(token: str) -> str:
    """The reset page's full address, as the mail shows it (the app's public origin)."""
    return get_settings().public_origin + routes.reset_password_url(token)


async def forgot_password(request: Request) -> Response:
    if not from_own_origin(request):
        return refused_origin()
    try:
        form = await read_form(request)
    except FormTooLarge:
        return _TOO_LARGE
    email = form.get("email", "")
    kept = {"email": email}
    try:
        normalised = await password_reset.request_reset(email, address=client_address(request))
    except Throttled as refused:
        return back(request, routes.FORGOT_PASSWORD, [for_throttle(refused)], kept, wait=refused.wait_minutes)
    except InvalidInput:
        empty = not email.strip()
        return back(request, routes.FORGOT_PASSWORD, [Problem.EMAIL_EMPTY if empty else Problem.EMAIL_INVALID], kept)
    return RedirectResponse(
        f"{routes.FORGOT_PASSWORD}?sent=1",
        status_code=303,
        headers=_NO_STORE,
        background=BackgroundTask(password_reset.send_link, normalised, reset_link),
    )


async def reset_password(request: Request) -> Response:
    if not from_own_origin(request):
        return refused_origin()
    try:
        form = await read_form(request)
    except FormTooLarge:
        return _TOO_LARGE
    token, password, repeat = form.get("token", ""), form.get("password", ""), form.get("repeat", "")
    page = routes.reset_password_url(token)
    problem = password_problem(password) or (Problem.PASSWORDS_DIFFER if password != repeat else None)
    if problem:
        return back(request, page, [problem], {})
    try:
        signed = await password_reset.complete(
            token, password, device_cookie=device_cookie(request), user_agent=user_agent(request)
        )
    except NotFound as refused:
        return back(request, page, [for_reset(refused.message)], {})
    except InvalidInput as refused:
        if refused.message in (password_reset.USED, password_reset.EXPIRED):
            return back(request, page, [for_reset(refused.message)], {})
        # The rules again, now with the account's own e-mail and name as words to avoid.
        return back(request, page, [Problem.PASSWORD_WEAK], {})
    return signed_in(request, signed.token, signed.device_cookie, routes.ACCOUNT + "?password=reset")


password_routes = [
    Route(routes.FORGOT_PASSWORD_API, forgot_password, methods=["POST"], name="forgot_password"),
    Route(routes.RESET_PASSWORD_API, reset_password, methods=["POST"], name="reset_password"),
]
