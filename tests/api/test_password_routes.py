"""The forgot-password and reset-password forms over HTTP, with a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest

from nyx_app.routes import DEVICE_COOKIE, FORGOT_PASSWORD_API, LOGIN_API, RESET_PASSWORD_API, SESSION_COOKIE
from nyx_app.services import auth
from nyx_app.settings import Settings
from tests.api.conftest import ORIGIN
from tests.factories import PASSWORD, TenantFactory
from tests.fakes.smtp import Inbox, smtp_server

NEW_PASSWORD = "amber-lighthouse-quietly-47"


@pytest.fixture
def inbox(settings_env: Callable[..., Settings]) -> Iterator[Inbox]:
    with smtp_server() as (box, port):
        settings_env(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
        yield box


async def test_asking_answers_alike_for_known_and_unknown_addresses_and_mails_only_the_known(
    tenants: TenantFactory, web: httpx.AsyncClient, inbox: Inbox
) -> None:
    account = await tenants.create()
    known = await web.post(FORGOT_PASSWORD_API, data={"email": account.email})
    unknown = await web.post(FORGOT_PASSWORD_API, data={"email": "nobody-here@example.test"})
    for answer in (known, unknown):
        assert answer.status_code == 303
        assert answer.headers["location"] == "/forgot-password?sent=1"
        assert answer.headers["cache-control"] == "no-store"
        assert "set-cookie" not in answer.headers
    assert known.content == unknown.content
    message = await asyncio.to_thread(inbox.wait, 1)
    assert message["To"] == account.email
    link = inbox.text(message)
    assert f"{ORIGIN}/reset-password/" in link
    assert len(inbox.messages) == 1  # nothing for the unknown address


async def test_a_mistyped_address_is_named_and_kept_for_the_form(web: httpx.AsyncClient, db: None) -> None:
    answer = await web.post(FORGOT_PASSWORD_API, data={"email": "ann@"})
    assert answer.headers["location"] == "/forgot-password?error=email_invalid"
    empty = await web.post(FORGOT_PASSWORD_API, data={"email": "  "})
    assert empty.headers["location"] == "/forgot-password?error=email_empty"


async def test_the_reset_form_sets_the_password_signs_in_and_the_link_then_is_used(
    tenants: TenantFactory, web: httpx.AsyncClient, inbox: Inbox
) -> None:
    account = await tenants.create()
    await web.post(FORGOT_PASSWORD_API, data={"email": account.email})
    token = inbox.reset_token(await asyncio.to_thread(inbox.wait, 1))
    page = f"/reset-password/{token}"

    differ = await web.post(RESET_PASSWORD_API, data={"token": token, "password": NEW_PASSWORD, "repeat": "other"})
    assert differ.headers["location"] == f"{page}?error=passwords_differ"
    short = await web.post(RESET_PASSWORD_API, data={"token": token, "password": "short", "repeat": "short"})
    assert short.headers["location"] == f"{page}?error=password_short"

    done = await web.post(RESET_PASSWORD_API, data={"token": token, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/settings/account?password=reset"
    assert await auth.resolve(done.cookies[SESSION_COOKIE]) is not None
    assert done.cookies[DEVICE_COOKIE]
    assert await auth.resolve(account.token) is None

    again = await web.post(
        RESET_PASSWORD_API, data={"token": token, "password": "x-" + NEW_PASSWORD, "repeat": "x-" + NEW_PASSWORD}
    )
    assert again.headers["location"] == f"{page}?error=reset_used"
    login = await web.post(LOGIN_API, data={"email": account.email, "password": NEW_PASSWORD})
    assert login.headers["location"] == "/"
    old = await web.post(LOGIN_API, data={"email": account.email, "password": PASSWORD})
    assert old.headers["location"] == "/login?error=wrong"


async def test_a_made_up_link_is_refused_in_words(web: httpx.AsyncClient, db: None) -> None:
    answer = await web.post(
        RESET_PASSWORD_API, data={"token": "made-up", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    )
    assert answer.headers["location"] == "/reset-password/made-up?error=reset_invalid"


async def test_the_forms_must_come_from_the_apps_own_pages(web: httpx.AsyncClient, db: None) -> None:
    for path, data in ((FORGOT_PASSWORD_API, {"email": "a@b.test"}), (RESET_PASSWORD_API, {"token": "t"})):
        answer = await web.post(path, data=data, headers={"Origin": "https://evil.example"})
        assert answer.status_code == 403


async def test_requests_are_throttled_with_the_same_words_for_any_address(
    tenants: TenantFactory, web: httpx.AsyncClient, inbox: Inbox
) -> None:
    account = await tenants.create()
    for email in (account.email, "nobody-here@example.test"):
        locations = [(await web.post(FORGOT_PASSWORD_API, data={"email": email})).headers["location"] for _ in range(4)]
        assert locations == ["/forgot-password?sent=1"] * 3 + ["/forgot-password?error=locked_reset_account&wait=60"]
