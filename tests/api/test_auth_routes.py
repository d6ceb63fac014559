"""Log in, register and log out over HTTP: the cookie, the redirects, the refusals."""

from __future__ import annotations

import re
from collections.abc import Callable
from http.cookies import SimpleCookie

import httpx
import pytest

from nyx_app import routes
from nyx_app.api import SecurityHeaders, api, cookies
from nyx_app.routes import DEVICE_COOKIE, FORM_COOKIE, LOGIN_API, LOGOUT_API, REGISTER_API, SESSION_COOKIE
from nyx_app.services import auth, auth_feedback
from nyx_app.services.auth_feedback import Problem
from nyx_app.settings import Settings
from tests.api.conftest import ORIGIN
from tests.factories import PASSWORD, TenantFactory

FOURTEEN_DAYS = str(14 * 86400)


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name in jar:
            found[name] = jar
    return found


def session_cookie(response: httpx.Response) -> str:
    """The raw Set-Cookie header for the session cookie."""
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")]
    return header


def attributes(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")[1:]]
    return {p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


async def test_login_sets_an_httponly_lax_cookie_and_goes_to_the_dashboard(
    tenants: TenantFactory, web: httpx.AsyncClient
) -> None:
    account = await tenants.create()
    answer = await web.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert answer.headers["cache-control"] == "no-store"
    attrs = attributes(session_cookie(answer))
    assert "httponly" in attrs
    assert attrs["samesite"].lower() == "lax"
    assert attrs["path"] == "/"
    assert attrs["max-age"] == FOURTEEN_DAYS
    assert "secure" not in attrs  # plain http
    token = session_cookie(answer).split(";")[0].split("=", 1)[1]
    ident = await auth.resolve(token)
    assert ident is not None and ident.email == account.email


async def test_the_cookie_is_secure_when_served_over_https(
    tenants: TenantFactory, web: httpx.AsyncClient, settings_env: Callable[..., Settings]
) -> None:
    account = await tenants.create()
    form = {"email": account.email, "password": PASSWORD}

    settings_env(public_url="https://nyx.example.com")
    answer = await web.post(LOGIN_API, data=form, headers={"Origin": "https://nyx.example.com"})
    assert "secure" in attributes(session_cookie(answer))

    # Behind a TLS-terminating proxy: X-Forwarded-Proto counts only from a trusted proxy.
    settings_env(public_url=ORIGIN)
    forwarded = {"X-Forwarded-Proto": "https"}
    answer = await web.post(LOGIN_API, data=form, headers=forwarded)
    assert "secure" not in attributes(session_cookie(answer))
    settings_env(trusted_proxies="127.0.0.1")
    answer = await web.post(LOGIN_API, data=form, headers=forwarded)
    assert "secure" in attributes(session_cookie(answer))


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    tenants: TenantFactory, web: httpx.AsyncClient
) -> None:
    account = await tenants.create()
    wrong = await web.post(LOGIN_API, data={"email": account.email, "password": "not-it"})
    unknown = await web.post(LOGIN_API, data={"email": "nobody@example.test", "password": PASSWORD})
    malformed = await web.post(LOGIN_API, data={"email": "not an e-mail", "password": PASSWORD})
    for answer in (wrong, unknown, malformed):
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?error=wrong"
        assert SESSION_COOKIE not in set_cookies(answer)


async def test_a_refused_form_keeps_what_was_typed_but_never_the_password(db: None, web: httpx.AsyncClient) -> None:
    form = {"name": "Ada", "email": "not-an-email", "password": "short", "workspace": ""}
    answer = await web.post(REGISTER_API, data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/register?error=email_invalid,password_short,workspace_empty"
    echo = set_cookies(answer)[FORM_COOKIE][FORM_COOKIE]
    assert echo["httponly"] and echo["max-age"] == "120"
    assert "short" not in echo.value
    kept = cookies.form_values(f"{FORM_COOKIE}={echo.value}")
    assert kept == {"name": "Ada", "email": "not-an-email"}
    # A forged or altered echo is ignored.
    assert cookies.form_values(f"{FORM_COOKIE}={echo.value[:-2]}xx") == {}
    assert cookies.form_values(f"{FORM_COOKIE}=eyJ0IjoxLCJ2Ijp7fX0.abc") == {}


async def test_register_reports_every_field_at_once(db: None, web: httpx.AsyncClient) -> None:
    answer = await web.post(REGISTER_API, data={"name": "", "email": "", "password": "", "workspace": "x" * 121})
    codes = answer.headers["location"].split("error=")[1]
    assert codes == "name_empty,email_empty,password_short,workspace_long"


async def test_register_signs_in_and_a_taken_email_is_named(tenants: TenantFactory, web: httpx.AsyncClient) -> None:
    form = {"name": "Ada", "email": "ada@example.test", "password": PASSWORD, "workspace": "Ada's team"}
    answer = await web.post(REGISTER_API, data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert "httponly" in attributes(session_cookie(answer))
    again = await web.post(REGISTER_API, data={**form, "email": "ADA@example.test"})
    assert again.headers["location"] == "/register?error=email_taken"


async def test_logout_revokes_the_session_and_clears_the_cookie(tenants: TenantFactory, web: httpx.AsyncClient) -> None:
    account = await tenants.create()
    answer = await web.post(LOGOUT_API, headers={"Cookie": f"{SESSION_COOKIE}={account.token}"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    cleared = attributes(session_cookie(answer))
    assert cleared["max-age"] == "0" and "httponly" in cleared
    assert await auth.resolve(account.token) is None


@pytest.mark.parametrize("route", [LOGIN_API, REGISTER_API, LOGOUT_API])
async def test_cross_origin_posts_are_refused(
    route: str, tenants: TenantFactory, settings_env: Callable[..., Settings]
) -> None:
    account = await tenants.create()
    form = {"email": account.email, "password": PASSWORD, "name": "Eve", "workspace": "Eve's"}
    cookie = {"Cookie": f"{SESSION_COOKIE}={account.token}"}
    bare = httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=ORIGIN)  # no middleware
    async with bare:
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Referer": "https://evil.example/login"},
            {},  # neither Origin nor Referer
        ):
            answer = await bare.post(route, data=form, headers={**headers, **cookie})
            assert answer.status_code == 403, headers
            assert SESSION_COOKIE not in set_cookies(answer)
        # A Referer from the app's own page is enough when a browser leaves Origin out.
        answer = await bare.post(route, data=form, headers={"Referer": f"{ORIGIN}/login", **cookie})
        assert answer.status_code == 303
    if route == LOGOUT_API:
        assert await auth.resolve(account.token) is None  # only the last, same-origin post logged out


async def test_only_post_and_only_small_forms(web: httpx.AsyncClient, db: None) -> None:
    assert (await web.get(LOGIN_API)).status_code == 405
    answer = await web.post(LOGIN_API, data={"email": "a@b.test", "password": "x" * 20_000})
    assert answer.status_code == 413


async def test_throttled_login_comes_back_with_the_wait(tenants: TenantFactory, web: httpx.AsyncClient) -> None:
    account = await tenants.create()
    for _ in range(5):
        await web.post(LOGIN_API, data={"email": account.email, "password": "not-it"})
    answer = await web.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    assert answer.headers["location"] == "/login?error=locked_account&wait=15"
    assert SESSION_COOKIE not in set_cookies(answer)
    # Another client address is a different (account, address) pair.
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=SecurityHeaders(api), client=("192.0.2.50", 1234)),
        base_url=ORIGIN,
        headers={"Origin": ORIGIN},
    )
    async with other:
        answer = await other.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    assert answer.headers["location"] == "/"


async def test_forwarded_for_names_the_client_only_behind_a_trusted_proxy(
    tenants: TenantFactory, web: httpx.AsyncClient, settings_env: Callable[..., Settings]
) -> None:
    account = await tenants.create()
    for i in range(5):  # each claims another address: ignored, all count for 127.0.0.1
        await web.post(
            LOGIN_API, data={"email": account.email, "password": "no"}, headers={"X-Forwarded-For": f"10.9.9.{i}"}
        )
    answer = await web.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    assert "locked_account" in answer.headers["location"]

    settings_env(trusted_proxies="127.0.0.0/8")
    answer = await web.post(
        LOGIN_API, data={"email": account.email, "password": PASSWORD}, headers={"X-Forwarded-For": "10.9.9.9"}
    )
    assert answer.headers["location"] == "/"


def test_every_code_has_words_and_unknown_codes_are_dropped() -> None:
    for problem in Problem:
        assert auth_feedback.words(problem, 3).endswith(".")
    assert auth_feedback.words(Problem.WRONG_LOGIN) == "E-mail or password is wrong."
    assert auth_feedback.words(Problem.EMAIL_TAKEN) == "An account with this e-mail already exists. Log in instead."
    assert auth_feedback.words(Problem.PASSWORD_SHORT) == "The password needs at least 8 characters."
    assert auth_feedback.words(Problem.LOCKED_ACCOUNT, 12) == (
        "Too many failed attempts for this account. Try again in 12 minutes, log in from a browser you have "
        "used with it before, or reset your password."
    )
    assert (
        auth_feedback.words(Problem.LOCKED_REGISTRATIONS, 1)
        == "Too many new accounts from your network. Try again in 1 minute."
    )
    assert auth_feedback.parse("wrong,<script>,Call 555-0100 now,email_taken,wrong") == [
        Problem.WRONG_LOGIN,
        Problem.EMAIL_TAKEN,
    ]
    assert [auth_feedback.field_of(p) for p in auth_feedback.parse("name_long,locked_address")] == ["name", ""]
    assert auth_feedback.parse_wait("999999", 60) == 60
    assert auth_feedback.parse_wait("soon", 60) == 1


def test_the_session_token_is_read_from_a_cookie_header() -> None:
    header = f"theme=dark; {SESSION_COOKIE}=abc-123_XYZ; other=1"
    assert cookies.session_token(header) == "abc-123_XYZ"
    assert cookies.session_token("") == ""


# --- device cookies and the lockout, over HTTP -----------------------------------------------------


def client_from(address: str, cookies_: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=SecurityHeaders(api), client=(address, 4321)),
        base_url=ORIGIN,
        headers={"Origin": ORIGIN},
        cookies=cookies_,
    )


async def test_login_renews_a_strict_httponly_device_cookie_for_the_auth_routes_only(
    tenants: TenantFactory, web: httpx.AsyncClient
) -> None:
    account = await tenants.create()
    answer = await web.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    [header] = [h for h in answer.headers.get_list("set-cookie") if h.startswith(f"{DEVICE_COOKIE}=")]
    attrs = attributes(header)
    assert "httponly" in attrs and attrs["samesite"].lower() == "strict" and attrs["path"] == "/api/auth/"
    assert attrs["max-age"] == str(365 * 86400)
    assert account.email not in header
    wrong = await web.post(LOGIN_API, data={"email": account.email, "password": "nope"})
    assert not [h for h in wrong.headers.get_list("set-cookie") if h.startswith(f"{DEVICE_COOKIE}=")]


async def test_after_twenty_wrong_passwords_from_four_addresses_the_owners_browser_gets_in(
    tenants: TenantFactory, web: httpx.AsyncClient
) -> None:
    account = await tenants.create()
    first = await web.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    device = first.cookies[DEVICE_COOKIE]
    for i in range(4):
        async with client_from(f"198.51.100.{i + 10}") as stranger:
            for _ in range(6):
                await stranger.post(LOGIN_API, data={"email": account.email, "password": "guess"})
    async with client_from("192.0.2.222") as fresh_browser:
        held = await fresh_browser.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    assert re.fullmatch(r"/login\?error=locked_account&wait=1[45]", held.headers["location"])
    async with client_from("192.0.2.222", {DEVICE_COOKIE: device}) as owners_browser:
        answer = await owners_browser.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert await auth.resolve(answer.cookies[SESSION_COOKIE]) is not None


@pytest.mark.parametrize(
    ("wanted", "goes_to"),
    [
        ("/projects/1b2c?tab=notes", "/projects/1b2c?tab=notes"),
        ("/invite/abc.DEF_1", "/invite/abc.DEF_1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("http:evil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/%252F%252Fevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\u2044\u2044evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/api/auth/logout", "/"),
        ("/login", "/"),
    ],
)
async def test_next_goes_only_to_a_path_of_this_app(
    tenants: TenantFactory, web: httpx.AsyncClient, wanted: str, goes_to: str
) -> None:
    account = await tenants.create()
    answer = await web.post(LOGIN_API, data={"email": account.email, "password": PASSWORD, "next": wanted})
    assert answer.status_code == 303
    assert answer.headers["location"] == goes_to
    # A refused login keeps only a safe next for the form's second try.
    refused = await web.post(LOGIN_API, data={"email": account.email, "password": "nope", "next": wanted})
    kept = "&next=" in refused.headers["location"]
    assert kept == (goes_to != "/")


def test_the_login_url_carries_a_deep_link_and_drops_an_unsafe_one() -> None:
    assert routes.login_url("/projects/7?tab=runs") == "/login?next=%2Fprojects%2F7%3Ftab%3Druns"
    assert routes.login_url("//evil.example") == "/login"
    assert routes.login_url("/") == "/login"
