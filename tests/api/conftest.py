"""HTTP routes in-process: the app's Starlette ``api`` behind its security middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from nyx_app.api import SecurityHeaders, api
from nyx_app.settings import Settings, get_settings
from tests.fakes.fixtures import _fake_llm_server, fake_llm

__all__ = ["_fake_llm_server", "fake_llm"]

ORIGIN = "http://nyx.test"


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Settings]]:
    """Run this test with some settings changed (``settings_env(public_url=…)``)."""

    def apply(**values: object) -> Settings:
        for name, value in values.items():
            monkeypatch.setenv(f"NYX_{name.upper()}", str(value))
        get_settings.cache_clear()
        return get_settings()

    apply(public_url=ORIGIN)
    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def web(settings_env: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the app's own origin: every request carries its Origin header."""
    app = SecurityHeaders(api)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=ORIGIN, headers={"Origin": ORIGIN}
    ) as client:
        yield client


@pytest.fixture
async def api_client(settings_env: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    """A program calling the public API (no browser: no Origin, no cookie)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=SecurityHeaders(api)), base_url=ORIGIN) as client:
        yield client
