"""The Providers page's Test button: one real minimal call, status updated, answer in words."""

from __future__ import annotations

import pytest

from nyx_app.db.session import transaction
from nyx_app.models.llm import ProviderStatus
from nyx_app.services.errors import NotFound
from nyx_app.services.llm import credentials, probe
from nyx_app.services.llm.probe import probe_provider
from nyx_app.settings import Settings
from tests.factories import TenantFactory
from tests.fakes.fixtures import connect_providers
from tests.fakes.llm_server import FakeLLM, fault, stall


async def test_probe_marks_out_of_credit_without_trying_fallbacks(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("credit"))

    result = await probe_provider(acct.ctx, "anthropic")

    assert not result.ok and "credit balance is too low" in result.message
    assert fake_llm.calls() == 1  # no fallback to another provider during a test
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        [anthropic] = [p for p in await credentials.list_providers(session, acct.ctx) if p.name == "anthropic"]
    assert anthropic.status == "out_of_credit" and anthropic.status_at is not None


async def test_probe_ok_uses_a_cheap_model(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "gemini")

    result = await probe_provider(acct.ctx, "gemini")

    assert result.ok and "gemini-2.5-flash-lite" in result.message
    assert fake_llm.requests[0].model == "gemini-2.5-flash-lite"


async def test_probe_of_unknown_provider(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    with pytest.raises(NotFound):
        await probe_provider(acct.ctx, "openai")


async def test_probe_gives_up_after_its_own_short_timeout(
    tenants: TenantFactory, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stalled provider: the Test button stops after the probe timeout (not the call timeout) and says so."""
    monkeypatch.setattr(probe, "get_settings", lambda: Settings(llm_probe_timeout_seconds=0.5))
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "openai")
    fake_llm.script("gpt-4.1-nano", stall(30))

    result = await probe_provider(acct.ctx, "openai")

    assert not result.ok
    assert result.message == (
        "openai did not answer within 0.5 s, so the test gave up. "
        "It may be overloaded or unreachable; calls from workflows wait longer."
    )
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        [openai] = await credentials.list_providers(session, acct.ctx)
    assert openai.status == ProviderStatus.UNREACHABLE
    assert openai.last_error.endswith("did not answer within 0.5 s.")


def test_probe_timeout_is_a_setting_of_ten_seconds() -> None:
    assert Settings().llm_probe_timeout_seconds == 10.0
    assert probe.probe_timeout_seconds() == 10.0
