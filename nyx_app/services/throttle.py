"""Login and registration throttling, shared by every process through PostgreSQL.

Policy (``settings.throttle_*``, defaults in brackets), counted in fixed windows that start with
the first counted attempt:

- failed logins per account from one client address [5 per 15 minutes];
- failed logins per account from all addresses [20 per 15 minutes]: locking the owner out takes
  an attacker several addresses, not one;
- failed logins per client address over all accounts [50 per 15 minutes]: password spraying;
- registrations per client address [10 per hour].

A login first reserves one hit in each of its three buckets with a single atomic upsert. If any
bucket is then over its limit the attempt is refused before the password is even looked at, and
the reservation is taken back: a refused attempt counts nowhere, so hammering one bucket does not
fill the others. A wrong password keeps the hits; the right one takes back the account's and the
address's hit and clears the (account, address) bucket. Concurrent attempts each get their own
count from the row lock, so no burst slips past a limit, in one process or many.

Rows are touched in (scope, key) order in every statement, so two logins never wait on each
other in a cycle. Keys are SHA-256 hashes: no e-mail address or IP is stored in clear.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True, order=True)
class Bucket:
    scope: ThrottleScope
    key: str


def rules() -> dict[ThrottleScope, Rule]:
    s = get_settings()
    login = timedelta(minutes=s.throttle_login_window_minutes)
    return {
        ThrottleScope.LOGIN_ACCOUNT_ADDRESS: Rule(s.throttle_login_per_account_address, login),
        ThrottleScope.LOGIN_ACCOUNT: Rule(s.throttle_login_per_account, login),
        ThrottleScope.LOGIN_ADDRESS: Rule(s.throttle_login_per_address, login),
        ThrottleScope.REGISTER_ADDRESS: Rule(
            s.throttle_registrations_per_address, timedelta(minutes=s.throttle_registration_window_minutes)
        ),
    }


def wait_message(scope: ThrottleScope, minutes: int) -> str:
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if scope is ThrottleScope.REGISTER_ADDRESS:
        return f"Too many new accounts from your network. Try again in {wait}."
    if scope is ThrottleScope.LOGIN_ADDRESS:
        return f"Too many failed logins from your network. Try again in {wait}."
    return f"Too many failed attempts for this account. Try again in {wait}."


class Throttled(AuthError):
    """Refused before any password check; the message names the limit and the wait."""

    def __init__(self, scope: ThrottleScope, wait_seconds: float) -> None:
        self.scope = scope
        self.wait_minutes = max(1, math.ceil(wait_seconds / 60))
        super().__init__(wait_message(scope, self.wait_minutes))


@dataclass(frozen=True, slots=True)
class LoginTicket:
    """The hits one login attempt reserved; settled by ``login_succeeded`` (or kept on failure)."""

    buckets: tuple[Bucket, ...]


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


def _login_buckets(account: str, address: str) -> tuple[Bucket, ...]:
    acc, addr = account_key(account), address_key(address)
    return tuple(
        sorted(
            (
                Bucket(ThrottleScope.LOGIN_ACCOUNT_ADDRESS, _hash(acc, addr)),
                Bucket(ThrottleScope.LOGIN_ACCOUNT, _hash(acc)),
                Bucket(ThrottleScope.LOGIN_ADDRESS, _hash(addr)),
            )
        )
    )


async def _reserve(buckets: tuple[Bucket, ...]) -> Throttled | None:
    """One hit in each bucket (one statement); the refusal if any bucket is now over its limit."""
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
    over = [
        Throttled(ThrottleScope(scope), float(wait))
        for scope, hits, wait in rows
        if hits > table_rules[ThrottleScope(scope)].limit
    ]
    if not over:
        return None
    await _release(buckets)
    return max(over, key=lambda t: t.wait_minutes)


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


async def begin_login(account: str, address: str) -> LoginTicket:
    """Count this attempt, or raise ``Throttled`` (then it counts nowhere)."""
    buckets = _login_buckets(account, address)
    refused = await _reserve(buckets)
    if refused is not None:
        raise refused
    return LoginTicket(buckets)


async def login_succeeded(ticket: LoginTicket) -> None:
    """The right password: this attempt was no failure, and this account may start afresh here."""
    await _release(ticket.buckets, reset=ThrottleScope.LOGIN_ACCOUNT_ADDRESS)


async def begin_registration(address: str) -> None:
    """Count one registration from this address, or raise ``Throttled``."""
    refused = await _reserve((Bucket(ThrottleScope.REGISTER_ADDRESS, _hash(address_key(address))),))
    if refused is not None:
        raise refused


async def sweep(grace: timedelta = timedelta(hours=1)) -> int:
    """Remove counters whose window ended more than ``grace`` ago. Returns how many."""
    async with transaction() as session:
        result = await session.execute(delete(_T).where(_T.c.window_ends_at < func.now() - grace))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
