"""Login and registration throttling: the policy row by row, in one process and across two."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from nyx_app.db.engine import owner_engine
from nyx_app.services import auth, throttle
from nyx_app.services.errors import AuthError
from nyx_app.services.throttle import Throttled
from nyx_app.settings import ROOT_DIR, get_settings
from tests.factories import PASSWORD, Account, TenantFactory

HERE, THERE, ELSEWHERE = "198.51.100.7", "203.0.113.9", "192.0.2.44"
ACCOUNT_LOCKED = re.compile(
    r"^Too many failed attempts for this account\. Try again in \d+ minutes?, log in from a browser you have "
    r"used with it before, or reset your password\.$"
)


async def wrong(account: Account | str, address: str) -> None:
    email = account if isinstance(account, str) else account.email
    with pytest.raises(AuthError) as caught:
        await auth.login(email, "not-the-password", address=address)
    assert not isinstance(caught.value, Throttled), "expected a plain wrong password, got throttled"


async def refused(email: str, address: str, password: str = PASSWORD) -> Throttled:
    with pytest.raises(Throttled) as caught:
        await auth.login(email, password, address=address)
    return caught.value


def set_window_end(minutes_from_now: float) -> None:
    with owner_engine().begin() as conn:
        conn.execute(
            text("UPDATE auth_throttle SET window_ends_at = now() + make_interval(secs => :s)"),
            {"s": minutes_from_now * 60},
        )


async def test_five_failures_for_an_account_from_one_address_lock_that_pair(tenants: TenantFactory) -> None:
    account = await tenants.create()
    for _ in range(5):
        await wrong(account, HERE)
    locked = await refused(account.email, HERE)  # the right password, refused
    assert ACCOUNT_LOCKED.match(locked.message) and "in 15 minutes" in locked.message
    # The owner elsewhere is not locked out by one address.
    assert await auth.login(account.email, PASSWORD, address=THERE)


async def test_a_throttled_attempt_never_checks_the_password(
    tenants: TenantFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await tenants.create()
    for _ in range(5):
        await wrong(account, HERE)
    checks: list[str] = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checks.append(p) or real(h, p))
    await refused(account.email, HERE)
    assert checks == []


async def test_refused_attempts_count_nowhere(tenants: TenantFactory) -> None:
    """Hammering a locked pair does not fill the account's or the address's bucket."""
    account = await tenants.create()
    for _ in range(5):
        await wrong(account, HERE)
    for _ in range(30):
        await refused(account.email, HERE)
    assert await auth.login(account.email, PASSWORD, address=THERE)


async def test_twenty_failures_from_all_addresses_lock_the_account(tenants: TenantFactory) -> None:
    account, other = await tenants.create(), await tenants.create()
    for i in range(20):
        await wrong(account, f"10.0.{i // 5}.1")  # 4 addresses, 5 each
    locked = await refused(account.email, ELSEWHERE)
    assert ACCOUNT_LOCKED.match(locked.message)
    assert await auth.login(other.email, PASSWORD, address=ELSEWHERE)  # other accounts are unaffected


async def test_fifty_failures_from_one_address_lock_the_address(tenants: TenantFactory) -> None:
    account = await tenants.create()
    for i in range(50):  # spraying: a few tries at many accounts, most of them unknown
        await wrong(f"victim{i // 2}@example.test", HERE)
    locked = await refused(account.email, HERE)
    # 15 minutes less what fifty password checks took (over a minute on a busy machine).
    assert re.fullmatch(r"Too many failed logins from your network\. Try again in 1[45] minutes\.", locked.message)
    assert await auth.login(account.email, PASSWORD, address=THERE)


async def test_ten_registrations_per_address_and_hour(db: None) -> None:
    for i in range(10):
        await auth.register(f"new{i}@example.test", PASSWORD, "New", "Team", address=HERE)
    with pytest.raises(Throttled) as caught:
        await auth.register("new10@example.test", PASSWORD, "New", "Team", address=HERE)
    assert caught.value.message == "Too many new accounts from your network. Try again in 60 minutes."
    assert await auth.register("new10@example.test", PASSWORD, "New", "Team", address=THERE)
    # Without an address (admin commands, the demo account) nothing is counted.
    assert await auth.register("admin-made@example.test", PASSWORD, "New", "Team")


async def test_probing_taken_e_mails_counts_as_registrations(tenants: TenantFactory) -> None:
    account = await tenants.create()
    for _ in range(10):
        with pytest.raises(auth.EmailTaken):
            await auth.register(account.email, PASSWORD, "Someone", "Team", address=HERE)
    with pytest.raises(Throttled):
        await auth.register(account.email, PASSWORD, "Someone", "Team", address=HERE)


async def test_the_message_states_the_remaining_wait(tenants: TenantFactory) -> None:
    account = await tenants.create()
    for _ in range(5):
        await wrong(account, HERE)
    set_window_end(11.5)
    assert (await refused(account.email, HERE)).message.startswith(
        "Too many failed attempts for this account. Try again in 12 minutes,"
    )
    set_window_end(0.25)
    assert (await refused(account.email, HERE)).message.startswith(
        "Too many failed attempts for this account. Try again in 1 minute,"
    )


async def test_the_lock_ends_with_its_window(tenants: TenantFactory) -> None:
    account = await tenants.create()
    for _ in range(5):
        await wrong(account, HERE)
    set_window_end(-0.1)
    assert await auth.login(account.email, PASSWORD, address=HERE)


async def test_success_resets_the_pair_counter(tenants: TenantFactory) -> None:
    account = await tenants.create()
    for _ in range(4):
        await wrong(account, HERE)
    assert await auth.login(account.email, PASSWORD, address=HERE)
    for _ in range(4):
        await wrong(account, HERE)  # four more, not one
    assert await auth.login(account.email, PASSWORD, address=HERE)


async def test_successful_logins_never_count_towards_a_lock(
    tenants: TenantFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    for name in ("throttle_login_per_account_address", "throttle_login_per_account", "throttle_login_per_address"):
        monkeypatch.setattr(settings, name, 3)
    account = await tenants.create()
    for _ in range(6):  # twice every limit
        await auth.login(account.email, PASSWORD, address=HERE)
    await wrong(account, HERE)


def test_the_stated_policy_is_the_default() -> None:
    policy = {scope.value: (rule.limit, rule.window) for scope, rule in throttle.rules().items()}
    assert policy == {
        "login_account_address": (5, timedelta(minutes=15)),
        "login_account": (20, timedelta(minutes=15)),
        "login_address": (50, timedelta(minutes=15)),
        "login_device": (10, timedelta(minutes=15)),
        "login_account_all": (20, timedelta(minutes=15)),
        "register_address": (10, timedelta(hours=1)),
        "reset_account": (3, timedelta(hours=1)),
        "reset_address": (10, timedelta(hours=1)),
    }
    assert [s.value for s, rule in throttle.rules().items() if not rule.refuses] == ["login_account_all"]


async def test_a_burst_of_concurrent_attempts_gets_exactly_the_limit(tenants: TenantFactory) -> None:
    account = await tenants.create()
    outcomes = await asyncio.gather(
        *(auth.login(account.email, "not-the-password", address=HERE) for _ in range(12)), return_exceptions=True
    )
    checked = [o for o in outcomes if isinstance(o, AuthError) and not isinstance(o, Throttled)]
    throttled = [o for o in outcomes if isinstance(o, Throttled)]
    assert (len(checked), len(throttled)) == (5, 7)


async def test_ipv6_clients_are_counted_per_64(tenants: TenantFactory) -> None:
    account = await tenants.create()
    for i in range(5):
        await wrong(account, f"2001:db8:1:2::{i + 1}")
    await refused(account.email, "2001:db8:1:2:ffff::9")
    assert await auth.login(account.email, PASSWORD, address="2001:db8:1:3::1")
    assert throttle.address_key("::ffff:192.0.2.1") == "192.0.2.1"


async def test_sweep_removes_only_long_finished_windows(tenants: TenantFactory) -> None:
    account = await tenants.create()
    await wrong(account, HERE)
    assert await throttle.sweep() == 0
    set_window_end(-61)
    assert await throttle.sweep() == 4  # (account, address), account pool, address, account from everywhere
    assert await throttle.sweep(grace=timedelta(0)) == 0


# --- across processes ---------------------------------------------------------------------------

ORIGIN = "http://nyx.test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API process exited: {proc.stdout.read().decode() if proc.stdout else ''}")
        try:
            httpx.get(f"{base}/api/no-such-route", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} did not come up")


@pytest.fixture
def two_api_processes(database: None) -> Iterator[list[str]]:
    """The Starlette app the real app serves its routes from, twice, on the test database."""
    env = {
        **os.environ,
        "NYX_DATABASE_NAME": get_settings().database_name,
        "NYX_PUBLIC_URL": ORIGIN,
        "PYTHONPATH": str(ROOT_DIR),
    }
    procs, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            cmd = [sys.executable, "-m", "uvicorn", "nyx_app.api:api", "--host", "127.0.0.1", "--port", str(port)]
            procs.append(subprocess.Popen(cmd, cwd=ROOT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
        for base, proc in zip(bases, procs, strict=True):
            _wait_until_up(base, proc)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def _post_login(base: str, email: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/auth/login",
        data={"email": email, "password": password},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
        timeout=30,
    )


async def test_the_lock_holds_across_two_processes(tenants: TenantFactory, two_api_processes: list[str]) -> None:
    account = await tenants.create()
    first, second = two_api_processes
    for i in range(5):  # alternate: neither process alone has seen five failures
        answer = await asyncio.to_thread(_post_login, (first, second)[i % 2], account.email, "not-the-password")
        assert answer.headers["location"] == "/login?error=wrong"
    for base in (first, second):
        answer = await asyncio.to_thread(_post_login, base, account.email, PASSWORD)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?error=locked_account&wait=15"
        assert "nyx_session" not in answer.headers.get("set-cookie", "")
