"""Forgot password: a single-use link that expires, mailed through a real SMTP server on loopback;
the same answers whether or not an account uses the address; only the token's hash is kept."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from nyx_app.db.engine import owner_engine
from nyx_app.services import auth, password_reset, throttle
from nyx_app.services.errors import AuthError, InvalidInput, NotFound
from nyx_app.services.throttle import Throttled
from nyx_app.settings import get_settings
from tests.factories import PASSWORD, Account, TenantFactory
from tests.fakes.smtp import Inbox, smtp_server

HERE = "198.51.100.77"
NEW_PASSWORD = "amber-lighthouse-quietly-47"


def link_for(token: str) -> str:
    return f"http://nyx.test/reset-password/{token}"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server() as (box, port):
        settings = get_settings()
        monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
        monkeypatch.setattr(settings, "smtp_port", port)
        monkeypatch.setattr(settings, "smtp_security", "none")
        yield box


async def ask(email: str, address: str = HERE) -> bool:
    """What the route does: count and check, then (after answering) make and send the link."""
    normalised = await password_reset.request_reset(email, address=address)
    return await password_reset.send_link(normalised, link_for)


async def mailed_token(account: Account, inbox: Inbox, nth: int = 1) -> str:
    assert await ask(account.email)
    message = await asyncio.to_thread(inbox.wait, nth)
    assert message["To"] == account.email
    assert message["Subject"] == password_reset.SUBJECT
    return inbox.reset_token(message)


async def test_the_link_sets_a_new_password_once_and_ends_every_login(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    token = await mailed_token(account, inbox)
    assert "works once, within 30 minutes" in inbox.text(inbox.messages[0])
    assert (await password_reset.check_link(token)).email == account.email

    signed = await password_reset.complete(token, NEW_PASSWORD)
    assert await auth.resolve(signed.token) is not None  # this browser is signed in
    assert await auth.resolve(account.token) is None  # every earlier login ended
    with pytest.raises(AuthError):
        await auth.login(account.email, PASSWORD, address=HERE)
    assert await auth.login(account.email, NEW_PASSWORD, address=HERE)

    # Single use: the page and the form both refuse it now, and nothing changes.
    with pytest.raises(InvalidInput, match="already been used"):
        await password_reset.check_link(token)
    with pytest.raises(InvalidInput, match="already been used"):
        await password_reset.complete(token, "another-fine-password-93")
    assert await auth.login(account.email, NEW_PASSWORD, address=HERE)


async def test_an_expired_link_is_refused_and_changes_nothing(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    token = await mailed_token(account, inbox)
    with owner_engine().begin() as conn:
        conn.execute(text("UPDATE password_reset SET expires_at = now() - interval '1 second'"))
    with pytest.raises(InvalidInput, match="has expired"):
        await password_reset.check_link(token)
    with pytest.raises(InvalidInput, match="has expired"):
        await password_reset.complete(token, NEW_PASSWORD)
    assert await auth.login(account.email, PASSWORD, address=HERE)


async def test_made_up_and_altered_links_are_not_valid(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    token = await mailed_token(account, inbox)
    for wrong in ("", "nope", token[:-1] + ("A" if token[-1] != "A" else "B")):
        with pytest.raises(NotFound, match="not valid"):
            await password_reset.check_link(wrong)
        with pytest.raises(NotFound, match="not valid"):
            await password_reset.complete(wrong, NEW_PASSWORD)


async def test_only_the_tokens_hash_is_stored(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    token = await mailed_token(account, inbox)
    with owner_engine().connect() as conn:
        rows = conn.execute(text("SELECT token_hash FROM password_reset")).scalars().all()
    assert rows == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in rows[0]


async def test_a_new_password_uses_up_every_open_link(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    first = await mailed_token(account, inbox, 1)
    second = await mailed_token(account, inbox, 2)
    assert first != second
    await password_reset.complete(second, NEW_PASSWORD)
    with pytest.raises(InvalidInput, match="already been used"):
        await password_reset.complete(first, "another-fine-password-93")


async def test_two_tabs_submitting_one_link_at_once_use_it_once(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    token = await mailed_token(account, inbox)
    outcomes = await asyncio.gather(
        password_reset.complete(token, NEW_PASSWORD),
        password_reset.complete(token, "another-fine-password-93"),
        return_exceptions=True,
    )
    assert sum(isinstance(o, auth.SignedIn) for o in outcomes) == 1
    assert sum(isinstance(o, InvalidInput) and "already been used" in o.message for o in outcomes) == 1


async def test_a_weak_new_password_is_refused_and_the_link_still_works(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    token = await mailed_token(account, inbox)
    with pytest.raises(InvalidInput, match="at least 8 characters"):
        await password_reset.complete(token, "short")
    with pytest.raises(InvalidInput, match="too easy to guess"):
        await password_reset.complete(token, account.email)
    assert await password_reset.complete(token, NEW_PASSWORD)


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    # The part that answers is the same for both, the throttle included (keyed on what was typed).
    for email in (account.email, "nobody-here@example.test"):
        for _ in range(3):
            await password_reset.request_reset(email, address=f"10.9.{len(email)}.1")
        with pytest.raises(Throttled) as caught:
            await password_reset.request_reset(email, address=f"10.9.{len(email)}.2")
        assert caught.value.message == throttle.wait_message(throttle.ThrottleScope.RESET_ACCOUNT, 60)
    # Only what runs after the answer differs: no link, no mail for an address without an account.
    assert await password_reset.send_link("nobody-else@example.test", link_for) is False
    assert await password_reset.send_link(account.email, link_for) is True
    await asyncio.to_thread(inbox.wait, 1)
    assert [m["To"] for m in inbox.messages] == [account.email]


async def test_requests_are_throttled_per_address(db: None) -> None:
    for i in range(10):
        await password_reset.request_reset(f"someone{i}@example.test", address=HERE)
    with pytest.raises(Throttled) as caught:
        await password_reset.request_reset("someone-else@example.test", address=HERE)
    assert caught.value.message == "Too many reset links were asked for from your network. Try again in 60 minutes."


async def test_a_mistyped_address_is_refused_with_the_validators_reason(db: None) -> None:
    with pytest.raises(InvalidInput) as caught:
        await password_reset.request_reset("ann@@example.test", address=HERE)
    assert caught.value.message.startswith("That does not look like an e-mail address. ")
    assert len(caught.value.message) > len("That does not look like an e-mail address. ")


async def test_without_an_smtp_server_the_link_is_written_to_the_log(
    tenants: TenantFactory, caplog: pytest.LogCaptureFixture
) -> None:
    account = await tenants.create()
    assert get_settings().smtp_host is None
    with caplog.at_level(logging.WARNING, logger="nyx_app.integrations.mail"):
        assert await ask(account.email)
    [record] = [r for r in caplog.records if r.name == "nyx_app.integrations.mail"]
    assert "E-mail not sent (no SMTP server configured, NYX_SMTP_HOST)" in record.getMessage()
    assert "http://nyx.test/reset-password/" in record.getMessage()


async def test_a_broken_smtp_server_is_logged_and_the_link_stays_usable(
    tenants: TenantFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    account = await tenants.create()
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", 9)  # nothing listens on discard
    monkeypatch.setattr(settings, "smtp_security", "none")
    with caplog.at_level(logging.ERROR, logger="nyx_app.services.password_reset"):
        assert await ask(account.email)
    assert "could not send the password reset e-mail" in caplog.text


async def test_the_browser_that_reset_gets_a_known_device_past_an_attack(tenants: TenantFactory, inbox: Inbox) -> None:
    account = await tenants.create()
    for i in range(25):  # a stranger fills the account's pool of unknown browsers
        with pytest.raises(AuthError):
            await auth.sign_in(account.email, "guess", address=f"10.8.{i // 5}.1")
    token = await mailed_token(account, inbox)
    signed = await password_reset.complete(token, NEW_PASSWORD)
    with pytest.raises(Throttled):
        await auth.sign_in(account.email, NEW_PASSWORD, address="192.0.2.99")  # an unknown browser
    assert await auth.sign_in(account.email, NEW_PASSWORD, address="192.0.2.99", device_cookie=signed.device_cookie)
