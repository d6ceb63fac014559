"""How long the login and forgot-password answers take for a real account and for an address
without one, over real HTTP (uvicorn serving the app's routes, a loopback SMTP server taking the
mail). No enumeration means the two columns cannot be told apart.

    PYTHONPATH=. .venv/bin/python scripts/bench/auth_timing.py [--rounds 40]

Its own database (nyx_bench_auth) on the embedded server; limits raised so the throttle does not
answer instead of the code being timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

os.environ["NYX_DATABASE_NAME"] = "nyx_bench_auth"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx

from nyx_app.db.bootstrap import prepare
from nyx_app.services import auth
from nyx_app.settings import ROOT_DIR, get_settings
from tests.fakes.smtp import free_port, smtp_server

ORIGIN = "http://bench.test"
PASSWORD = "correct horse battery staple"
KNOWN, UNKNOWN = "someone@example.com", "nobody-here@example.com"


def _start_api(smtp_port: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "NYX_PUBLIC_URL": ORIGIN,
        "PYTHONPATH": str(ROOT_DIR),
        "NYX_SMTP_HOST": "127.0.0.1",
        "NYX_SMTP_PORT": str(smtp_port),
        "NYX_SMTP_SECURITY": "none",
        "NYX_THROTTLE_RESETS_PER_ACCOUNT": "100000",
        "NYX_THROTTLE_RESETS_PER_ADDRESS": "100000",
        "NYX_THROTTLE_LOGIN_PER_ACCOUNT_ADDRESS": "100000",
        "NYX_THROTTLE_LOGIN_PER_ACCOUNT": "100000",
        "NYX_THROTTLE_LOGIN_PER_ADDRESS": "100000",
        "NYX_THROTTLE_LOGIN_SLOW_AFTER": "100000",
    }
    cmd = [sys.executable, "-m", "uvicorn", "nyx_app.api:api", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/api/none", timeout=1)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the API did not come up")


def _time(client: httpx.Client, path: str, data: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    answer = client.post(path, data=data)
    return (time.perf_counter() - started) * 1000, answer.headers.get("location", "")


def _row(label: str, known: list[float], unknown: list[float]) -> str:
    def fig(xs: list[float]) -> str:
        xs = sorted(xs)
        return f"median {statistics.median(xs):7.1f} ms  p90 {xs[int(len(xs) * 0.9) - 1]:7.1f} ms"

    return f"{label:<34} account: {fig(known)}   no account: {fig(unknown)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    rounds = parser.parse_args().rounds
    prepare(get_settings(), recreate=True)
    asyncio.run(auth.register(KNOWN, PASSWORD, "Someone", "Bench"))
    with smtp_server() as (inbox, smtp_port):
        proc, base = _start_api(smtp_port)
        try:
            with httpx.Client(base_url=base, headers={"Origin": ORIGIN}, timeout=30) as client:
                _time(client, "/api/auth/forgot-password", {"email": KNOWN})  # warm both paths up
                _time(client, "/api/auth/login", {"email": UNKNOWN, "password": "x"})
                forgot: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
                login: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
                answers: dict[str, set[str]] = {KNOWN: set(), UNKNOWN: set()}
                # Interleaved, so load on the machine hits both alike. Logins first: a request for
                # a real account leaves work behind (the mail), which would slow whatever follows.
                for _ in range(rounds):
                    for email in (KNOWN, UNKNOWN):
                        ms, where = _time(client, "/api/auth/login", {"email": email, "password": "wrong-guess"})
                        login[email].append(ms)
                        answers[email].add(where)
                for _ in range(rounds):
                    for email in (KNOWN, UNKNOWN):
                        ms, where = _time(client, "/api/auth/forgot-password", {"email": email})
                        forgot[email].append(ms)
                        answers[email].add(where)
            mails = len(inbox.messages)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{rounds} rounds each, interleaved, over HTTP on loopback (this machine: shared 2 cores)")
    print(_row("POST /api/auth/forgot-password", forgot[KNOWN], forgot[UNKNOWN]))
    print(_row("POST /api/auth/login (wrong)", login[KNOWN], login[UNKNOWN]))
    print(f"answers for the account:    {sorted(answers[KNOWN])}")
    print(f"answers for no account:     {sorted(answers[UNKNOWN])}")
    print(f"mails the SMTP server took: {mails} (one per request for the account, none for the other)")


if __name__ == "__main__":
    main()
