"""/healthz and /readyz, as a load balancer asks them: no login, JSON naming each dependency."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest

from nyx_app.services import health
from nyx_app.settings import Settings

pytestmark = pytest.mark.usefixtures("db", "local_storage")


async def test_healthz_answers_without_a_login(web: httpx.AsyncClient) -> None:
    answer = await web.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz_checks_database_and_storage_and_says_redis_is_not_used(web: httpx.AsyncClient) -> None:
    answer = await web.get("/readyz")
    assert answer.status_code == 200, answer.text
    checks = answer.json()["checks"]
    assert {name: c["detail"] for name, c in checks.items()} == {
        "database": "ok",
        "redis": "not used",
        "storage": "ok",
    }
    assert answer.headers["cache-control"] == "no-store"


async def test_readyz_is_503_and_names_redis_when_redis_does_not_answer(
    web: httpx.AsyncClient, settings_env: Callable[..., Settings]
) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings_env(redis_url=f"redis://127.0.0.1:{port}/0")
    answer = await web.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert "onnect" in body["checks"]["redis"]["detail"]  # "ConnectionError: … connecting to 127.0.0.1"


async def test_a_stopping_process_is_not_ready_so_the_balancer_drains_it(
    web: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "_stopping", False)
    health.mark_stopping()
    answer = await web.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "stopping"
    assert (await web.get("/healthz")).status_code == 200  # alive all the same: no restart
