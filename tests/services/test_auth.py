import asyncio

import pytest

from nyx_app.models.tenancy import Role
from nyx_app.services import auth
from nyx_app.services.errors import AuthError, InvalidInput
from nyx_app.services.passwords import hash_password, verify_password
from tests.factories import PASSWORD, TenantFactory

ADDRESS = "192.0.2.1"


async def test_password_hash_is_argon2_and_verifies() -> None:
    hashed = await hash_password("s3cret-password")
    assert hashed.startswith("$argon2id$")
    assert await verify_password(hashed, "s3cret-password")
    assert not await verify_password(hashed, "wrong-password")
    assert not await verify_password(None, "anything")


async def test_checking_a_password_leaves_the_event_loop_to_other_pages() -> None:
    """argon2 runs in a thread: another coroutine gets the loop while a login is checked."""
    hashed = await hash_password("s3cret-password")
    order: list[str] = []

    async def login() -> None:
        await verify_password(hashed, "s3cret-password")
        order.append("verified")

    async def other_page() -> None:
        order.append("other page served")

    await asyncio.gather(login(), other_page())
    assert order == ["other page served", "verified"]


async def test_register_makes_the_user_owner_of_a_new_tenant(tenants: TenantFactory) -> None:
    account = await tenants.create("Acme")
    ident = await auth.resolve(account.token)
    assert ident is not None
    assert ident.tenant_name == "Acme"
    assert ident.role is Role.OWNER


async def test_duplicate_email_is_refused_case_insensitively(tenants: TenantFactory) -> None:
    account = await tenants.create()
    with pytest.raises(InvalidInput, match="already exists"):
        await auth.register(account.email.upper(), PASSWORD, "Someone", "Other")


@pytest.mark.parametrize(
    ("email", "password", "name", "tenant", "message"),
    [
        ("", PASSWORD, "N", "T", "E-mail cannot be empty"),
        ("not-an-email", PASSWORD, "N", "T", "does not look like an e-mail"),
        ("a@b.test", "short", "N", "T", "at least 8"),
        ("a@b.test", PASSWORD, "   ", "T", "Name cannot be empty"),
        ("a@b.test", PASSWORD, "N", "x" * 121, "Workspace name is too long"),
    ],
)
async def test_bad_registration_input_says_what_to_fix(db, email, password, name, tenant, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        await auth.register(email, password, name, tenant)


async def test_wrong_password_and_unknown_email_get_the_same_message(tenants: TenantFactory) -> None:
    account = await tenants.create()
    with pytest.raises(AuthError) as wrong:
        await auth.login(account.email, "not the password", address=ADDRESS)
    with pytest.raises(AuthError) as unknown:
        await auth.login("nobody@example.test", PASSWORD, address=ADDRESS)
    assert str(wrong.value) == str(unknown.value) == auth.WRONG_LOGIN


async def test_logout_revokes_the_session_immediately(tenants: TenantFactory) -> None:
    account = await tenants.create()
    token = await auth.login(account.email, PASSWORD, address=ADDRESS)
    assert await auth.resolve(token) is not None
    await auth.logout(token)
    assert await auth.resolve(token) is None
    # The other login of the same user is untouched.
    assert await auth.resolve(account.token) is not None


async def test_a_random_token_resolves_to_nobody(db) -> None:
    assert await auth.resolve("made-up-token") is None
    assert await auth.resolve("") is None


async def test_demo_account_only_on_an_empty_database(db) -> None:
    assert await auth.create_demo_account("demo@example.test", PASSWORD) is True
    assert await auth.create_demo_account("demo2@example.test", PASSWORD) is False
    assert await auth.login("demo@example.test", PASSWORD, address=ADDRESS)


async def test_change_password_checks_the_current_one_and_ends_other_logins(tenants: TenantFactory) -> None:
    account = await tenants.create()
    other_login = await auth.login(account.email, PASSWORD, address=ADDRESS)
    with pytest.raises(InvalidInput, match="current password is wrong"):
        await auth.change_password(account.token, "not it", "brand-new-password")
    with pytest.raises(InvalidInput, match="at least 8"):
        await auth.change_password(account.token, PASSWORD, "short")
    with pytest.raises(InvalidInput, match="must differ"):
        await auth.change_password(account.token, PASSWORD, PASSWORD)
    assert await auth.resolve(other_login) is not None  # nothing changed by the refusals

    await auth.change_password(account.token, PASSWORD, "brand-new-password")
    assert await auth.resolve(account.token) is not None  # this login goes on
    assert await auth.resolve(other_login) is None  # every other one ends
    with pytest.raises(AuthError):
        await auth.login(account.email, PASSWORD, address=ADDRESS)
    assert await auth.login(account.email, "brand-new-password", address=ADDRESS)


async def test_change_password_needs_a_live_session(tenants: TenantFactory) -> None:
    account = await tenants.create()
    await auth.logout(account.token)
    with pytest.raises(AuthError, match="session has ended"):
        await auth.change_password(account.token, PASSWORD, "brand-new-password")


async def test_a_password_change_names_the_field_at_fault(tenants: TenantFactory) -> None:
    from nyx_app.services.errors import InvalidFields
    from tests.factories import PASSWORD

    a = await tenants.create()
    with pytest.raises(InvalidFields) as refused:
        await auth.change_password(a.token, "wrong-one", "123")
    assert set(refused.value.fields) == {"current_password", "new_password"}
    with pytest.raises(InvalidFields) as same:
        await auth.change_password(a.token, PASSWORD, PASSWORD)
    assert same.value.fields == {"new_password": "The new password must differ from the current one."}
