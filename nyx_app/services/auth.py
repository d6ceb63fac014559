"""Accounts, tenants and server-side login sessions.

The browser keeps only a random token (an HttpOnly cookie set by the login route); the database
keeps its SHA-256. Every event resolves the token again, so logging out or being removed from a
tenant takes effect on the very next event. Logins and registrations from the web are throttled
(services/throttle.py) before any password is checked.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import set_context, transaction
from nyx_app.models.tenancy import EMAIL_MAX, NAME_MAX, USER_AGENT_MAX, AuthSession, Membership, Role, Tenant, User
from nyx_app.services import audit, devices, throttle
from nyx_app.services.errors import AuthError, InvalidInput, NotFound
from nyx_app.services.passwords import check_password_rules, hash_password, verify_password
from nyx_app.services.personas.store import create_starters
from nyx_app.services.validation import Problems, check_text, required_text
from nyx_app.settings import get_settings

WRONG_LOGIN = "E-mail or password is wrong."
LAST_SEEN_EVERY = timedelta(minutes=1)
SESSION_ENDED = "Your session has ended. Please log in again."
EMAIL_TAKEN = "An account with this e-mail already exists. Log in instead."


class EmailTaken(InvalidInput):
    """Registration with an e-mail that already has an account."""

    def __init__(self) -> None:
        super().__init__(EMAIL_TAKEN)


@dataclass(frozen=True, slots=True)
class TenantChoice:
    tenant_id: uuid.UUID
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: uuid.UUID
    email: str
    name: str
    tenant_id: uuid.UUID
    tenant_name: str
    role: Role
    # Every workspace of the user (the switcher), read in the same transaction.
    tenants: tuple[TenantChoice, ...] = ()
    session_id: uuid.UUID | None = None


def normalise_email(email: str) -> str:
    """One spelling per address, so look-alikes cannot register twice: NFKC first (full-width
    letters become plain ones), then syntax checked by email-validator (no DNS look-up), then
    lower case. Bidi controls and invisible characters are refused, not removed."""
    cleaned = unicodedata.normalize("NFKC", email or "").strip()
    if not cleaned:
        raise InvalidInput("E-mail cannot be empty.")
    check_text(cleaned, "The e-mail address")
    try:
        checked = validate_email(
            cleaned,
            check_deliverability=False,
            # "@example.test" addresses: fine in tests, not a real mailbox anywhere else.
            test_environment=get_settings().environment == "test",
        )
    except EmailNotValidError as exc:
        raise InvalidInput(f"That does not look like an e-mail address. {exc}") from None
    normalised = checked.normalized.lower()
    if len(normalised) > EMAIL_MAX:
        raise InvalidInput("That does not look like an e-mail address.")
    return normalised


def email_problem(email: str) -> str:
    """Why ``email`` is refused, in the validator's words ("" if it is fine)."""
    try:
        normalise_email(email)
    except InvalidInput as refused:
        return refused.message
    return ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_session(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID | None, *, user_agent: str = ""
) -> str:
    """A new login for the user; returns the token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            user_id=user_id,
            token_hash=token_hash(token),
            tenant_id=tenant_id,
            expires_at=now + timedelta(days=get_settings().session_days),
            user_agent=(user_agent or "")[:USER_AGENT_MAX],
            last_seen_at=now,
        )
    )
    await session.flush()
    return token


async def create_user(session: AsyncSession, email: str, password: str, name: str) -> User:
    email = normalise_email(email)
    name = required_text(name, "Name", NAME_MAX)
    check_password_rules(password, user_inputs=(email, name))
    if (await session.exec(select(User).where(User.email == email))).first():
        raise InvalidInput("An account with this e-mail already exists. Log in instead.")
    user = User(email=email, name=name, password_hash=await hash_password(password))
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # registered by a concurrent request a moment ago
        raise InvalidInput("An account with this e-mail already exists. Log in instead.") from None
    return user


async def check_registration(email: str, address: str | None) -> None:
    """Before a registration (with valid input): count it against the address, refuse a taken
    e-mail. ``address`` is None only for callers that are not the public (admin, tests)."""
    normalised = normalise_email(email)
    async with transaction() as session:
        taken = (await session.exec(select(User.id).where(User.email == normalised))).first()
    if address is not None:  # counted once the input is valid: each count may probe an e-mail
        await throttle.begin_registration(address)
    if taken is not None:
        raise EmailTaken


async def register(
    email: str, password: str, name: str, tenant_name: str, *, address: str | None = None, user_agent: str = ""
) -> str:
    """Create a user, their tenant (they become its owner) and a login. Returns the token.

    ``address`` is the client's address for a registration from the web, which is throttled per
    address; None only for callers that are not the public (admin commands, tests).
    """
    tenant_name = required_text(tenant_name, "Workspace name", NAME_MAX)
    normalise_email(email)
    required_text(name, "Name", NAME_MAX)
    check_password_rules(password)
    await check_registration(email, address)
    async with transaction() as session:
        user = await create_user(session, email, password, name)
        tenant = Tenant(name=tenant_name)
        session.add(tenant)
        await session.flush()
        await set_context(session, tenant.id, user.id)
        session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role.OWNER.value))
        await session.flush()
        await create_starters(session, tenant.id)
        return await new_session(session, user.id, tenant.id, user_agent=user_agent)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new login's token, and the browser's device cookie with a fresh entry for the account."""

    token: str
    device_cookie: str


async def sign_in(
    email: str, password: str, *, address: str, device_cookie: str = "", user_agent: str = ""
) -> SignedIn:
    """Check the password and open a login.

    Throttled before the password is looked at (``throttle.Throttled``): a browser whose device
    cookie (``device_cookie``, services/devices.py) knows this account has its own allowance;
    others count per account, per address and in the account's pool of unknown browsers. A wrong
    password and an unknown e-mail get the same answer.
    """
    account = throttle.account_key(email)
    ticket = await throttle.begin_login(email, address, devices.known_device(device_cookie, account))
    token = await _open_login(email, password, user_agent)
    if token is None:
        raise AuthError(WRONG_LOGIN)  # the failure stays counted
    await throttle.login_succeeded(ticket)
    return SignedIn(token, devices.issue(device_cookie, account))


async def login(email: str, password: str, *, address: str, device_cookie: str = "", user_agent: str = "") -> str:
    """``sign_in`` for callers that keep no device cookie (admin commands, tests): the token."""
    signed = await sign_in(email, password, address=address, device_cookie=device_cookie, user_agent=user_agent)
    return signed.token


async def _open_login(email: str, password: str, user_agent: str) -> str | None:
    try:
        email = normalise_email(email)
    except InvalidInput:
        await verify_password(None, password)  # the same time as for any wrong login
        return None
    async with transaction() as session:
        user = (await session.exec(select(User).where(User.email == email))).first()
        if not await verify_password(user.password_hash if user else None, password) or user is None:
            if user is not None:  # an unknown e-mail belongs to no workspace whose log could keep it
                await audit.record_for_user(session, user.id, audit.AuditAction.SIGN_IN_FAILED)
            return None
        await set_context(session, user_id=user.id)
        first = (await _memberships(session, user.id))[:1]
        token = await new_session(session, user.id, first[0].tenant_id if first else None, user_agent=user_agent)
        await audit.record_for_user(session, user.id, audit.AuditAction.SIGN_IN)
        return token


async def _memberships(session: AsyncSession, user_id: uuid.UUID) -> list[TenantChoice]:
    """Needs app.user_id set: membership rows are visible to their own user."""
    rows = await session.exec(
        select(Membership.tenant_id, Tenant.name, Membership.role)
        .join(Tenant, col(Tenant.id) == col(Membership.tenant_id))
        .where(Membership.user_id == user_id)
        .order_by(col(Tenant.name))
    )
    return [TenantChoice(tenant_id=t, name=n, role=Role(r)) for t, n, r in rows]


async def memberships(session: AsyncSession, user_id: uuid.UUID) -> list[TenantChoice]:
    """The user's workspaces, read in the caller's transaction (opened for this user)."""
    return await _memberships(session, user_id)


async def active_session(session: AsyncSession, token: str) -> AuthSession | None:
    if not token:
        return None
    return (
        await session.exec(
            select(AuthSession).where(
                AuthSession.token_hash == token_hash(token),
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > func.now(),
            )
        )
    ).first()


async def resolve(token: str) -> Identity | None:
    """Who holds this token, in which tenant, right now. None if logged out or expired.

    If the user was removed from the session's tenant, the session moves to another of their
    tenants; with none left it is no longer valid.
    """
    async with transaction() as session:
        auth = await active_session(session, token)
        if auth is None:
            return None
        user = await session.get(User, auth.user_id)
        if user is None:
            return None
        await set_context(session, user_id=user.id)
        choices = await _memberships(session, user.id)
        current = next((c for c in choices if c.tenant_id == auth.tenant_id), None)
        if current is None:
            if not choices:
                return None
            current = choices[0]
            auth.tenant_id = current.tenant_id
            session.add(auth)
        _touch(session, auth)
        return Identity(
            user.id, user.email, user.name, current.tenant_id, current.name, current.role, tuple(choices), auth.id
        )


def _touch(session: AsyncSession, auth: AuthSession) -> None:
    """Remember when the login was last used, at most once a minute (resolve runs on every event)."""
    now = utcnow()
    if auth.last_seen_at is None or now - auth.last_seen_at >= LAST_SEEN_EVERY:
        auth.last_seen_at = now
        session.add(auth)


async def tenants_of(user_id: uuid.UUID) -> list[TenantChoice]:
    async with transaction(user_id=user_id) as session:
        return await _memberships(session, user_id)


async def switch_tenant(token: str, tenant_id: uuid.UUID) -> None:
    async with transaction() as session:
        auth = await active_session(session, token)
        if auth is None:
            raise AuthError(SESSION_ENDED)
        await set_context(session, user_id=auth.user_id)
        if tenant_id not in {c.tenant_id for c in await _memberships(session, auth.user_id)}:
            raise NotFound("Workspace not found.")
        auth.tenant_id = tenant_id
        session.add(auth)


async def logout(token: str) -> None:
    async with transaction() as session:
        ended = await session.execute(
            update(AuthSession)
            .where(col(AuthSession.token_hash) == token_hash(token), col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
            .returning(col(AuthSession.user_id))
        )
        for (user_id,) in ended.all():
            await audit.record_for_user(session, user_id, audit.AuditAction.SESSION_ENDED, details={"how": "logout"})


async def change_password(token: str, current_password: str, new_password: str) -> None:
    """Change the signed-in user's password; every other login of theirs ends at once. Problems
    are reported by field (``current_password``, ``new_password``), all at once."""
    problems = Problems()
    problems.check("new_password", check_password_rules, new_password)
    async with transaction() as session:
        auth = await active_session(session, token)
        if auth is None:
            raise AuthError(SESSION_ENDED)
        user = await session.get(User, auth.user_id)
        if user is None or not await verify_password(user.password_hash, current_password):
            problems.add("current_password", "The current password is wrong.")
        elif current_password == new_password:
            problems.add("new_password", "The new password must differ from the current one.")
        problems.raise_if_any()
        assert user is not None
        user.password_hash = await hash_password(new_password)
        session.add(user)
        await session.execute(
            update(AuthSession)
            .where(
                col(AuthSession.user_id) == user.id,
                col(AuthSession.id) != auth.id,
                col(AuthSession.revoked_at).is_(None),
            )
            .values(revoked_at=utcnow())
        )
        await audit.record_for_user(session, user.id, audit.AuditAction.PASSWORD_CHANGED)


async def create_demo_account(email: str, password: str) -> bool:
    """On an empty database, create a demo tenant and user. Returns whether it did."""
    async with transaction() as session:
        if (await session.exec(select(func.count()).select_from(User))).one():
            return False
    await register(email, password, "Demo User", "Demo Workspace")
    return True
