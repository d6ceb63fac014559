"""Pytest fixtures around the fake LLM server, shared by service, integration and browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nyx_app.db.session import transaction
from nyx_app.services.context import TenantContext
from nyx_app.services.llm import credentials
from tests.fakes.llm_server import FakeLLM


@pytest.fixture(scope="session")
def _fake_llm_server() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(_fake_llm_server: FakeLLM) -> Iterator[FakeLLM]:
    """The loopback provider, with empty scripts and request log for each test."""
    _fake_llm_server.reset()
    yield _fake_llm_server
    _fake_llm_server.reset()


def base_for(fake: FakeLLM, provider: str) -> str:
    return {"anthropic": fake.anthropic_base, "openai": fake.openai_base, "gemini": fake.gemini_base}[provider]


async def connect_providers(ctx: TenantContext, fake: FakeLLM, *providers: str) -> None:
    """Give the tenant keys for these built-in providers, routed to the fake server."""
    async with transaction(tenant_id=ctx.tenant_id, user_id=ctx.user_id) as session:
        for provider in providers or ("anthropic", "openai", "gemini"):
            await credentials.save_key(session, ctx, provider, f"sk-test-{provider}-0000abcd", base_for(fake, provider))
