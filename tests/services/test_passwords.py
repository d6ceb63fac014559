"""Password rules: long enough, not too long, and not easy to guess (zxcvbn score 3 or more, with
the account's own e-mail and name counted as the first things a guesser tries)."""

from __future__ import annotations

import pytest

from nyx_app import cli
from nyx_app.db.session import transaction
from nyx_app.services import auth, members
from nyx_app.services.errors import AuthError, InvalidInput
from nyx_app.services.passwords import PASSWORD_MAX, check_password_rules
from tests.e2e import helpers as e2e_helpers
from tests.factories import PASSWORD, TenantFactory

GUESSABLE = ["12345678", "password", "password1", "qwertyuiop", "iloveyou", "Summer2024!", "aaaaaaaaaaaa", "abcd1234"]


@pytest.mark.parametrize("password", GUESSABLE)
def test_common_and_patterned_passwords_are_refused_with_what_to_do(password: str) -> None:
    with pytest.raises(InvalidInput, match=r"^This password is too easy to guess") as refused:
        check_password_rules(password)
    assert "Add another word or two." in refused.value.message


def test_the_message_says_why_when_zxcvbn_knows() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password_rules("12345678")
    assert refused.value.message == (
        "This password is too easy to guess: this is a top-10 common password. "
        "Add another word or two. Uncommon words are better."
    )


@pytest.mark.parametrize("password", ["adalovelace1", "adalovelace!", "ada.lovelace@example.com"])
def test_the_users_own_email_and_name_count_as_guessable(password: str) -> None:
    check_password_rules(password)  # fine for someone else
    with pytest.raises(InvalidInput, match="too easy to guess"):
        check_password_rules(password, user_inputs=("ada.lovelace@example.com", "Ada Lovelace"))


def test_length_limits_come_first() -> None:
    with pytest.raises(InvalidInput, match="at least 8 characters"):
        check_password_rules("x7#Qp")
    with pytest.raises(InvalidInput, match=f"at most {PASSWORD_MAX}"):
        check_password_rules("correct horse battery staple " * 10)


def test_long_passphrases_up_to_the_limit_are_accepted_quickly() -> None:
    check_password_rules("violet harbor kite " * 13)  # 247 characters: only the first 100 are judged


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        (PASSWORD, "user1@example.test", "User 1"),
        (e2e_helpers.PASSWORD, "user1@example.test", "Rita"),
        (cli.DEMO_PASSWORD, cli.DEMO_EMAIL, "Demo User"),
    ],
    ids=["test-factories", "browser-tests", "demo-account"],
)
def test_the_passwords_the_project_itself_uses_pass(password: str, email: str, name: str) -> None:
    check_password_rules(password, user_inputs=(email, name))


async def test_registration_and_new_members_get_the_same_rules(tenants: TenantFactory) -> None:
    with pytest.raises(InvalidInput, match="too easy to guess"):
        await auth.register("weak@example.test", "password", "Weak", "Weak team")
    owner = await tenants.create()
    with pytest.raises(InvalidInput, match="too easy to guess"):
        async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
            await members.add_member(s, owner.ctx, "newbie@example.test", "newbie123", "Newbie", "member")
    with pytest.raises(InvalidInput, match="too easy to guess"):
        await auth.change_password(owner.token, PASSWORD, "12345678")
    with pytest.raises(AuthError, match="wrong"):
        await auth.login("weak@example.test", "password", address="192.0.2.1")  # never created
