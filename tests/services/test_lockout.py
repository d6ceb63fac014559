"""A stranger's wrong passwords never keep the owner out: device cookies (services/devices.py)
give a browser that logged in before an allowance of its own (OWASP), across addresses."""

from __future__ import annotations

import re
import time

import pytest

from nyx_app.services import auth, devices, throttle
from nyx_app.services.errors import AuthError
from nyx_app.services.throttle import Throttled
from nyx_app.settings import get_settings
from tests.factories import PASSWORD, Account, TenantFactory

ATTACKERS = ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4")
FRESH = "192.0.2.200"  # an address nobody used yet
OFFICE = "203.0.113.50"


@pytest.fixture(autouse=True)
def quick_slowdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """The known device's wait under attack, short for the suite (its length is not what is tested)."""
    monkeypatch.setattr(get_settings(), "throttle_login_slow_seconds", 0.05)


async def owner_device(account: Account, address: str = OFFICE) -> str:
    """The device cookie of the owner's browser after a normal login."""
    signed = await auth.sign_in(account.email, PASSWORD, address=address)
    return signed.device_cookie


async def attempt(email: str, address: str, password: str = "not-the-password", cookie: str = "") -> str:
    """The outcome in words: "in" (signed in), or the refusal's message."""
    try:
        await auth.sign_in(email, password, address=address, device_cookie=cookie)
    except AuthError as refused:
        return refused.message
    return "in"


def in_words(outcome: str) -> str:
    return re.sub(r"in \d+ minutes?", "in N minutes", outcome)


async def attack(email: str, per_address: int = 6) -> list[str]:
    """Wrong passwords from four addresses, more than each address and the pool allow."""
    return [await attempt(email, address) for address in ATTACKERS for _ in range(per_address)]


async def test_twenty_wrong_passwords_from_four_addresses_then_the_owner_gets_in_from_a_known_device(
    tenants: TenantFactory,
) -> None:
    account = await tenants.create()
    cookie = await owner_device(account)
    outcomes = await attack(account.email)
    assert outcomes.count(auth.WRONG_LOGIN) == 20  # five per address were checked, the rest refused
    assert all(o.startswith("Too many failed attempts for this account") for o in outcomes if o != auth.WRONG_LOGIN)

    # A browser that never logged in to the account is held by the pool, even with the password...
    assert (await attempt(account.email, FRESH, PASSWORD)).startswith("Too many failed attempts for this account")
    # ...the owner's known browser is not: in at its first attempt, from an address nobody used.
    assert await attempt(account.email, FRESH, PASSWORD, cookie) == "in"
    # and again from the attackers' own addresses (a shared network), as often as needed.
    assert await attempt(account.email, ATTACKERS[0], PASSWORD, cookie) == "in"


async def test_the_attack_goes_on_and_the_known_device_still_gets_in_slowed_not_locked(
    tenants: TenantFactory,
) -> None:
    account = await tenants.create()
    cookie = await owner_device(account)
    nonce = devices.known_device(cookie, throttle.account_key(account.email))
    assert nonce is not None
    for _ in range(3):  # the attacker renews the attack window after window
        await attack(account.email)
        ticket = await throttle.begin_login(account.email, FRESH, nonce)
        assert ticket.slowed and ticket.known_device
        await throttle.login_succeeded(ticket)
    assert await attempt(account.email, FRESH, PASSWORD, cookie) == "in"


async def test_a_known_device_is_not_slowed_when_nobody_is_guessing(tenants: TenantFactory) -> None:
    account = await tenants.create()
    cookie = await owner_device(account)
    nonce = devices.known_device(cookie, throttle.account_key(account.email))
    await attempt(account.email, FRESH, cookie=cookie)  # one typo of the owner
    ticket = await throttle.begin_login(account.email, FRESH, nonce)
    assert not ticket.slowed


async def test_a_sprayed_address_does_not_block_a_known_device_behind_it(tenants: TenantFactory) -> None:
    account = await tenants.create()
    cookie = await owner_device(account)
    for i in range(50):  # someone behind the same office NAT sprays other accounts
        await attempt(f"victim{i}@example.test", OFFICE)
    assert (await attempt(account.email, OFFICE, PASSWORD)).startswith("Too many failed logins from your network")
    assert await attempt(account.email, OFFICE, PASSWORD, cookie) == "in"


async def test_a_known_device_has_an_allowance_of_its_own(tenants: TenantFactory) -> None:
    account = await tenants.create()
    laptop, phone = await owner_device(account), await owner_device(account, FRESH)
    outcomes = [await attempt(account.email, OFFICE, cookie=laptop) for _ in range(11)]
    assert outcomes[:10] == [auth.WRONG_LOGIN] * 10
    assert (
        in_words(outcomes[10])
        == "Too many failed attempts from this browser. Try again in N minutes, or reset your password."
    )
    # That browser is held (with the right password too); the owner's other browser is not, nor
    # is the pool of unknown browsers, which the device's failures never touched.
    assert (await attempt(account.email, OFFICE, PASSWORD, laptop)).startswith("Too many failed attempts from this")
    assert await attempt(account.email, OFFICE, PASSWORD, phone) == "in"
    assert await attempt(account.email, ATTACKERS[0], PASSWORD) == "in"


async def test_a_success_from_a_known_device_clears_its_count(tenants: TenantFactory) -> None:
    account = await tenants.create()
    cookie = await owner_device(account)
    for _ in range(9):
        await attempt(account.email, OFFICE, cookie=cookie)
    assert await attempt(account.email, OFFICE, PASSWORD, cookie) == "in"
    assert [await attempt(account.email, OFFICE, cookie=cookie) for _ in range(9)] == [auth.WRONG_LOGIN] * 9


async def test_forged_foreign_and_expired_cookies_count_as_unknown_browsers(
    tenants: TenantFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, other = await tenants.create(), await tenants.create()
    cookie, foreign = await owner_device(account), await owner_device(other)
    entry = cookie.split("~")[0]
    forged = entry[:-1] + ("0" if entry[-1] != "0" else "1")  # one character of the signature
    await attack(account.email)
    for fake in (forged, foreign, "", "garbage", "~".join([foreign] * 9)):
        assert (await attempt(account.email, FRESH, PASSWORD, fake)).startswith("Too many failed attempts for this")
    # Older than NYX_DEVICE_COOKIE_DAYS: void.
    monkeypatch.setattr(time, "time", lambda: 1e10)
    assert devices.known_device(cookie, throttle.account_key(account.email)) is None


async def test_unknown_e_mail_and_wrong_password_get_the_same_answers_in_the_same_order(
    tenants: TenantFactory,
) -> None:
    """No enumeration: the throttle keys on what was typed, before anyone is looked up."""
    account = await tenants.create()
    real = await attack(account.email)
    made_up = await attack("nobody-here@example.test")
    # The waits count down meanwhile (an attack takes a while on a busy machine): words, not minutes.
    assert [in_words(o) for o in real] == [in_words(o) for o in made_up]
    assert in_words(await attempt(account.email, FRESH)) == in_words(await attempt("nobody-here@example.test", FRESH))


def test_the_cookie_keeps_one_fresh_entry_per_account_newest_first() -> None:
    cookie = ""
    for i in range(7):
        cookie = devices.issue(cookie, f"user{i}@example.test")
    entries = cookie.split("~")
    assert len(entries) == devices.MAX_ACCOUNTS
    assert devices.known_device(cookie, "user6@example.test") is not None
    assert devices.known_device(cookie, "user0@example.test") is None  # the oldest dropped
    again = devices.issue(cookie, "user3@example.test")
    assert again.split("~")[0] != entries[3] and len(again.split("~")) == devices.MAX_ACCOUNTS
    assert "user" not in cookie and "example" not in cookie  # the cookie does not say whose it is


async def test_a_throttled_device_counts_nowhere_while_refused(tenants: TenantFactory) -> None:
    account = await tenants.create()
    cookie = await owner_device(account)
    for _ in range(10):
        await attempt(account.email, OFFICE, cookie=cookie)
    for _ in range(20):
        with pytest.raises(Throttled):
            await auth.sign_in(account.email, PASSWORD, address=OFFICE, device_cookie=cookie)
    nonce = devices.known_device(cookie, throttle.account_key(account.email))
    other = await owner_device(account, FRESH)
    assert nonce != devices.known_device(other, throttle.account_key(account.email))
    ticket = await throttle.begin_login(
        account.email, FRESH, devices.known_device(other, throttle.account_key(account.email))
    )
    assert not ticket.slowed  # 10 failures in all: the account-wide count is not over its limit
