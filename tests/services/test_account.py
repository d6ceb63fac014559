"""The user's own account: name and e-mail, and the list of their logins, each of which they can end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.tenancy import AuthSession
from nyx_app.services import account, auth
from nyx_app.services.errors import InvalidFields, NotFound
from tests.factories import PASSWORD, TenantFactory

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)


async def test_name_and_email_change_with_every_problem_reported_at_once(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    with pytest.raises(InvalidFields) as refused:
        await account.update_profile(a.token, "", "not-an-address")
    assert set(refused.value.fields) == {"name", "email"}
    with pytest.raises(InvalidFields) as refused:
        await account.update_profile(a.token, "Ada", b.email.upper())  # normalised, then found taken
    assert refused.value.fields == {"email": account.EMAIL_IN_USE}

    changed = await account.update_profile(a.token, " Ada Lovelace ", "ADA@Example.test")
    assert changed == account.Profile("Ada Lovelace", "ada@example.test")
    ident = await auth.resolve(a.token)
    assert ident is not None and (ident.name, ident.email) == ("Ada Lovelace", "ada@example.test")
    assert await auth.login("ada@example.test", PASSWORD, address="192.0.2.1")
    assert await account.update_profile(a.token, "Ada", "ada@example.test")  # keeping one's own e-mail is fine


async def test_sessions_are_listed_with_their_device_and_any_can_be_ended(tenants: TenantFactory) -> None:
    a = await tenants.create()
    laptop = await auth.login(a.email, PASSWORD, address="192.0.2.1", user_agent=FIREFOX)
    phone = await auth.login(a.email, PASSWORD, address="192.0.2.2", user_agent=IPHONE)
    listed = await account.list_sessions(laptop)
    assert listed[0].current and listed[0].device == "Firefox 128 on Windows"
    assert {s.device for s in listed} >= {"Firefox 128 on Windows", "Mobile Safari 17 on iPhone"}
    assert len(listed) == 3  # the factory's own login too

    phone_id = next(s.id for s in listed if "iPhone" in s.device)
    assert await account.end_session(laptop, phone_id) is False  # another one
    assert await auth.resolve(phone) is None
    with pytest.raises(NotFound, match="already ended"):
        await account.end_session(laptop, phone_id)
    own_id = listed[0].id
    assert await account.end_session(laptop, own_id) is True  # this browser: logged out
    assert await auth.resolve(laptop) is None


async def test_someone_elses_session_cannot_be_seen_or_ended(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    theirs = (await account.list_sessions(b.token))[0].id
    assert theirs not in {s.id for s in await account.list_sessions(a.token)}
    with pytest.raises(NotFound):
        await account.end_session(a.token, theirs)
    assert await auth.resolve(b.token) is not None


async def test_last_seen_is_written_at_most_once_a_minute(tenants: TenantFactory) -> None:
    a = await tenants.create()

    async def last_seen():
        async with transaction() as s:
            return (await s.exec(select(AuthSession.last_seen_at).where(AuthSession.user_id == a.ctx.user_id))).one()

    first = await last_seen()
    await auth.resolve(a.token)
    assert await last_seen() == first  # used again within the minute: no write
    long_ago = utcnow() - timedelta(minutes=5)
    async with transaction() as s:
        await s.execute(update(AuthSession).values(last_seen_at=long_ago))
    await auth.resolve(a.token)
    assert await last_seen() > long_ago + timedelta(minutes=4)


async def test_sign_out_all_other_sessions_keeps_only_this_one(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    laptop = await auth.login(a.email, PASSWORD, address="192.0.2.1", user_agent=FIREFOX)
    phone = await auth.login(a.email, PASSWORD, address="192.0.2.2", user_agent=IPHONE)
    assert await account.end_other_sessions(a.token) == 2
    assert await auth.resolve(laptop) is None and await auth.resolve(phone) is None
    assert await auth.resolve(a.token) is not None  # this browser goes on
    assert await auth.resolve(b.token) is not None  # nobody else's logins are touched
    assert [s.current for s in await account.list_sessions(a.token)] == [True]
    assert await account.end_other_sessions(a.token) == 0


async def test_a_refused_address_says_the_validators_reason(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from nyx_app.settings import get_settings

    monkeypatch.setattr(get_settings(), "environment", "production")
    reason = auth.email_problem("someone@example.test")  # a test domain, refused outside tests
    assert reason.startswith("That does not look like an e-mail address. ")
    assert "special-use or reserved name" in reason
    assert auth.email_problem("someone@example.com") == ""
