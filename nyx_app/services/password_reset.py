"""Forgot password: a single-use link, sent by e-mail, that expires.

Asking (``request_reset``) checks the address's syntax (the validator's reason is the answer to a
typo) and counts the request (``throttle.begin_reset``: per e-mail as typed and per address), then
answers the same words whether or not an account uses the address. Everything that depends on
the account — looking it up, making the link, sending the mail — runs in ``send_link`` *after* that
answer has gone out (the route hands it to a background task), so neither the words nor the time
the answer takes tell whether an account exists.

The link carries a random token; only its SHA-256 is stored (``password_reset``), so the database
never holds a usable link. ``complete`` takes the row ``FOR UPDATE``: two tabs submitting one link
at once cannot both use it. Choosing the new password uses up every open link of the account, ends
every login of the account (someone else may have known the old password) and signs this browser
in. Whoever opened the link has shown they read the account's mail, so their browser also gets a
device cookie (services/devices.py): the next login from it is a known device's, and a stranger
guessing at the account cannot keep them out.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import set_context, transaction
from nyx_app.integrations import mail
from nyx_app.models.tenancy import AuthSession, PasswordReset, User
from nyx_app.services import auth, devices, throttle
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.passwords import check_password_rules, hash_password
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

NOT_VALID = "This password reset link is not valid. Ask for a new one below."
USED = "This password reset link has already been used. Ask for a new one if you still need it."
EXPIRED = "This password reset link has expired. Ask for a new one."
SUBJECT = "Choose a new nyxCore password"


def sent_message() -> str:
    """The one answer to every accepted request, whether or not an account uses the address."""
    minutes = get_settings().password_reset_minutes
    return (
        "If an account uses that address, an e-mail with a link to choose a new password is on its way. "
        f"The link works once, for {minutes} minutes."
    )


@dataclass(frozen=True, slots=True)
class ResetLink:
    """What the reset page shows for a link that still works."""

    email: str


async def request_reset(email: str, *, address: str) -> str:
    """Check and count one request; returns the normalised address for ``send_link``.
    Raises InvalidInput (the validator's reason) or ``throttle.Throttled``."""
    normalised = auth.normalise_email(email)
    await throttle.begin_reset(email, address)
    return normalised


def _mail_text(name: str, email: str, link: str, minutes: int) -> str:
    return (
        f"Hello {name},\n\n"
        f"someone, hopefully you, asked to choose a new password for the nyxCore account {email}.\n"
        f"Open this link to do so. It works once, within {minutes} minutes:\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n"
    )


async def send_link(email: str, link_for: Callable[[str], str]) -> bool:
    """Make a link for the account using ``email`` (normalised) and mail it; nothing for an
    address without an account. ``link_for`` turns a token into the page's full URL. Returns
    whether a link was made. Failures are logged here, once: the caller has already answered."""
    minutes = get_settings().password_reset_minutes
    token = secrets.token_urlsafe(32)
    async with transaction() as session:
        user = (await session.exec(select(User).where(User.email == email))).first()
        if user is None:
            return False
        session.add(
            PasswordReset(
                user_id=user.id, token_hash=auth.token_hash(token), expires_at=utcnow() + timedelta(minutes=minutes)
            )
        )
        name = user.name
    try:
        await mail.send(mail.Mail(email, SUBJECT, _mail_text(name, email, link_for(token), minutes)))
    except mail.MailError as failed:
        log.error("could not send the password reset e-mail: %s", failed)
    return True


async def _open_link(session: AsyncSession, token: str, *, lock: bool = False) -> PasswordReset:
    stmt = select(PasswordReset).where(PasswordReset.token_hash == auth.token_hash(token or ""))
    reset = (await session.exec(stmt.with_for_update() if lock else stmt)).first()
    if reset is None or not token:
        raise NotFound(NOT_VALID)
    if reset.used_at is not None:
        raise InvalidInput(USED)
    if reset.expires_at <= utcnow():
        raise InvalidInput(EXPIRED)
    return reset


async def check_link(token: str) -> ResetLink:
    """For the reset page: whose link this is, or NotFound/InvalidInput in words."""
    async with transaction() as session:
        reset = await _open_link(session, token)
        user = await session.get(User, reset.user_id)
        if user is None:
            raise NotFound(NOT_VALID)
        return ResetLink(user.email)


async def complete(token: str, new_password: str, *, device_cookie: str = "", user_agent: str = "") -> auth.SignedIn:
    """Set the new password, use up the account's links, end its logins and sign this browser in.
    Raises NotFound/InvalidInput (the link, or the password rules) before anything is written."""
    async with transaction() as session:
        reset = await _open_link(session, token, lock=True)
        user = await session.get(User, reset.user_id)
        if user is None:
            raise NotFound(NOT_VALID)
        check_password_rules(new_password, user_inputs=(user.email, user.name))
        now = utcnow()
        user.password_hash = await hash_password(new_password)
        session.add(user)
        await session.execute(
            update(PasswordReset)
            .where(col(PasswordReset.user_id) == user.id, col(PasswordReset.used_at).is_(None))
            .values(used_at=now)
        )
        await session.execute(
            update(AuthSession)
            .where(col(AuthSession.user_id) == user.id, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        await set_context(session, user_id=user.id)
        first = (await auth.memberships(session, user.id))[:1]
        login = await auth.new_session(session, user.id, first[0].tenant_id if first else None, user_agent=user_agent)
        account = throttle.account_key(user.email)
    return auth.SignedIn(login, devices.issue(device_cookie, account))
