"""Login, registration and password-reset throttling, shared by every process through PostgreSQL.

A stranger's wrong passwords must never keep the rightful owner out, so logins are counted the
way OWASP describes with device cookies (services/devices.py): a browser that logged in to the
account before (a *known device*) has an allowance of its own; every other browser shares the
pools below. Policy (``settings.throttle_*``, defaults in brackets), in fixed windows that start
with the first counted attempt:

- failed logins from a known device of the account [10 per 15 minutes];
- without a device cookie: per account from one client address [5 per 15 minutes], per account
  from all addresses (the account's *untrusted pool*) [20 per 15 minutes], per client address
  over all accounts [50 per 15 minutes: password spraying];
- failed logins per account from everywhere [20 per 15 minutes]: never refuses; past it a known
  device's attempt waits ``throttle_login_slow_seconds`` [2 s] before its password is checked —
  slowed, never locked out;
- registrations per client address [10 per hour]; password-reset links per account [3 per hour]
  and per address [10 per hour].

Keys are what was typed (the e-mail as given, the address), whether or not an account exists, so
an unknown e-mail and a wrong password are counted, refused and worded alike.

An attempt first reserves one hit in each of its buckets with a single atomic upsert. If a
refusing bucket is then over its limit the attempt is refused before the password is even looked
at, and the reservation is taken back: a refused attempt counts nowhere, so hammering one bucket
does not fill the others. A wrong password keeps the hits; the right one takes back every hit of
the attempt and clears the bucket of its browser (the known device, or the account and address).
Concurrent attempts each get their own count from the row lock, so no burst slips past a limit, in
one process or many.

Rows are touched in (scope, key) order in every statement, so two logins never wait on each
other in a cycle. Keys are SHA-256 hashes: no e-mail address, IP or device is stored in clear.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, case, delete, func
from sqlalchemy.dialects.postgresql import insert

from nyx_app.db.session import transaction
from nyx_app.models.throttle import AuthThrottle, ThrottleScope
from nyx_app.services.errors import AuthError
from nyx_app.settings import get_settings

_T = AuthThrottle.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Rule:
    limit: int
    window: timedelta
    # False: the bucket never refuses; past its limit it only slows (LOGIN_ACCOUNT_ALL).
    refuses: bool = True


@dataclass(frozen=True, slots=True, order=True)
class Bucket:
    scope: ThrottleScope
    key: str


def rules() -> dict[ThrottleScope, Rule]:
    s = get_settings()
    login = timedelta(minutes=s.throttle_login_window_minutes)
    reset = timedelta(minutes=s.throttle_reset_window_minutes)
    return {
        ThrottleScope.LOGIN_ACCOUNT_ADDRESS: Rule(s.throttle_login_per_account_address, login),
        ThrottleScope.LOGIN_ACCOUNT: Rule(s.throttle_login_per_account, login),
        ThrottleScope.LOGIN_ADDRESS: Rule(s.throttle_login_per_address, login),
        ThrottleScope.LOGIN_DEVICE: Rule(s.throttle_login_per_device, login),
        ThrottleScope.LOGIN_ACCOUNT_ALL: Rule(s.throttle_login_slow_after, login, refuses=False),
        ThrottleScope.REGISTER_ADDRESS: Rule(
            s.throttle_registrations_per_address, timedelta(minutes=s.throttle_registration_window_minutes)
        ),
        ThrottleScope.RESET_ACCOUNT: Rule(s.throttle_resets_per_account, reset),
        ThrottleScope.RESET_ADDRESS: Rule(s.throttle_resets_per_address, reset),
    }


def wait_message(scope: ThrottleScope, minutes: int) -> str:
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if scope is ThrottleScope.REGISTER_ADDRESS:
        return f"Too many new accounts from your network. Try again in {wait}."
    if scope is ThrottleScope.LOGIN_ADDRESS:
        return f"Too many failed logins from your network. Try again in {wait}."
    if scope is ThrottleScope.LOGIN_DEVICE:
        return f"Too many failed attempts from this browser. Try again in {wait}, or reset your password."
    if scope is ThrottleScope.RESET_ACCOUNT:
        return (
            f"Too many reset links were asked for this address. Try again in {wait}; "
            "a link already sent keeps working until it expires."
        )
    if scope is ThrottleScope.RESET_ADDRESS:
        return f"Too many reset links were asked for from your network. Try again in {wait}."
    return (
        f"Too many failed attempts for this account. Try again in {wait}, log in from a browser you have "
        "used with it before, or reset your password."
    )


class Throttled(AuthError):
    """Refused before any password check; the message names the limit and the wait."""

    def __init__(self, scope: ThrottleScope, wait_seconds: float) -> None:
        self.scope = scope
        self.wait_minutes = max(1, math.ceil(wait_seconds / 60))
        super().__init__(wait_message(scope, self.wait_minutes))


@dataclass(frozen=True, slots=True)
class LoginTicket:
    """The hits one login attempt reserved; settled by ``login_succeeded`` (or kept on failure).
    ``slowed``: a known device that waited because the account's failures passed their limit."""

    buckets: tuple[Bucket, ...]
    known_device: bool = False
    slowed: bool = False


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def address_key(address: str) -> str:
    """IPv6 clients are counted per /64: one subscriber usually holds a whole /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def account_key(email: str) -> str:
    return (email or "").strip().lower()[:320]


def _login_buckets(account: str, address: str, device: str | None) -> tuple[Bucket, ...]:
    acc = account_key(account)
    everywhere = Bucket(ThrottleScope.LOGIN_ACCOUNT_ALL, _hash(acc))
    if device is not None:  # a known device: its own allowance, whatever its address
        return tuple(sorted((Bucket(ThrottleScope.LOGIN_DEVICE, _hash(acc, device)), everywhere)))
    addr = address_key(address)
    return tuple(
        sorted(
            (
                Bucket(ThrottleScope.LOGIN_ACCOUNT_ADDRESS, _hash(acc, addr)),
                Bucket(ThrottleScope.LOGIN_ACCOUNT, _hash(acc)),
                Bucket(ThrottleScope.LOGIN_ADDRESS, _hash(addr)),
                everywhere,
            )
        )
    )


@dataclass(frozen=True, slots=True)
class _Reserved:
    refused: Throttled | None
    slowed: bool


async def _reserve(buckets: tuple[Bucket, ...]) -> _Reserved:
    """One hit in each bucket (one statement); the refusal if a refusing bucket is now over its
    limit (the hits are then taken back), and whether a slowing bucket is."""
    table_rules = rules()
    stmt = insert(_T).values(
        [
            {"scope": b.scope, "key": b.key, "hits": 1, "window_ends_at": func.now() + table_rules[b.scope].window}
            for b in buckets
        ]
    )
    expired = _T.c.window_ends_at <= func.now()
    upsert = stmt.on_conflict_do_update(
        index_elements=[_T.c.scope, _T.c.key],
        set_={
            "hits": case((expired, 1), else_=_T.c.hits + 1),
            "window_ends_at": case((expired, stmt.excluded.window_ends_at), else_=_T.c.window_ends_at),
        },
    ).returning(_T.c.scope, _T.c.hits, func.extract("epoch", _T.c.window_ends_at - func.now()))
    async with transaction() as session:
        rows = (await session.execute(upsert)).all()
    over = [ThrottleScope(scope) for scope, hits, _ in rows if hits > table_rules[ThrottleScope(scope)].limit]
    waits = {ThrottleScope(scope): float(wait) for scope, _, wait in rows}
    refusals = [Throttled(scope, waits[scope]) for scope in over if table_rules[scope].refuses]
    if not refusals:
        return _Reserved(None, slowed=bool(over))
    await _release(buckets)
    return _Reserved(max(refusals, key=lambda t: t.wait_minutes), slowed=False)


async def _release(buckets: tuple[Bucket, ...], reset: ThrottleScope | None = None) -> None:
    """Take one hit back from each bucket (the ``reset`` scope goes to zero). An upsert, so rows
    are locked in the same order as ``_reserve`` locks them."""
    hits: ColumnElement[int] = func.greatest(_T.c.hits - 1, 0)
    if reset is not None:
        hits = case((_T.c.scope == reset.value, 0), else_=hits)
    stmt = insert(_T).values(
        [{"scope": b.scope.value, "key": b.key, "hits": 0, "window_ends_at": func.now()} for b in buckets]
    )
    stmt = stmt.on_conflict_do_update(index_elements=[_T.c.scope, _T.c.key], set_={"hits": hits})
    async with transaction() as session:
        await session.execute(stmt)


async def begin_login(account: str, address: str, device: str | None = None) -> LoginTicket:
    """Count this attempt, or raise ``Throttled`` (then it counts nowhere). ``device``: the nonce
    of the browser's valid device cookie for this account (``devices.known_device``), if any."""
    buckets = _login_buckets(account, address, device)
    reserved = await _reserve(buckets)
    if reserved.refused is not None:
        raise reserved.refused
    slowed = device is not None and reserved.slowed
    if slowed:  # someone is guessing at this account: even its known devices go slower
        await asyncio.sleep(get_settings().throttle_login_slow_seconds)
    return LoginTicket(buckets, known_device=device is not None, slowed=slowed)


async def login_succeeded(ticket: LoginTicket) -> None:
    """The right password: this attempt was no failure, and this browser may start afresh."""
    reset = ThrottleScope.LOGIN_DEVICE if ticket.known_device else ThrottleScope.LOGIN_ACCOUNT_ADDRESS
    await _release(ticket.buckets, reset=reset)


async def begin_registration(address: str) -> None:
    """Count one registration from this address, or raise ``Throttled``."""
    refused = (await _reserve((Bucket(ThrottleScope.REGISTER_ADDRESS, _hash(address_key(address))),))).refused
    if refused is not None:
        raise refused


async def begin_reset(account: str, address: str) -> None:
    """Count one "forgot password" request for the e-mail as typed and the address, or raise
    ``Throttled`` (the same for an e-mail without an account)."""
    buckets = (
        Bucket(ThrottleScope.RESET_ACCOUNT, _hash(account_key(account))),
        Bucket(ThrottleScope.RESET_ADDRESS, _hash(address_key(address))),
    )
    refused = (await _reserve(tuple(sorted(buckets)))).refused
    if refused is not None:
        raise refused


async def sweep(grace: timedelta = timedelta(hours=1)) -> int:
    """Remove counters whose window ended more than ``grace`` ago. Returns how many."""
    async with transaction() as session:
        result = await session.execute(delete(_T).where(_T.c.window_ends_at < func.now() - grace))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
