"""The one call path against the fake provider server: failover, classification, never an empty success."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import col, select

from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall
from nyx_app.services.llm import call, credentials, preferences
from nyx_app.services.llm.call import ImageInput, LlmRequest
from nyx_app.services.llm.errors import LlmUnavailable, NoProvider
from nyx_app.services.llm.validators import json_object
from tests.factories import TenantFactory
from tests.fakes.dns import FakeDNS, fake_dns
from tests.fakes.fixtures import connect_providers
from tests.fakes.llm_server import FakeLLM, answer, cut_stream, empty, fault, malformed_body, stall

SONNET, MINI, GEMINI_PRO = "anthropic/claude-sonnet-4-6", "openai/gpt-4.1-mini", "gemini/gemini-2.5-pro"
CHAIN = [MINI, GEMINI_PRO]
__all__ = ["fake_dns"]


async def _logged(ctx) -> list[LlmCall]:
    async with transaction(tenant_id=ctx.tenant_id) as session:
        return list(await session.exec(select(LlmCall).order_by(col(LlmCall.attempt_no))))


async def _status(ctx, name: str) -> tuple[str, str]:
    async with transaction(tenant_id=ctx.tenant_id) as session:
        row = next(p for p in await credentials.list_providers(session, ctx) if p.name == name)
        return row.status, row.last_error


async def test_plain_success_records_tokens_and_cost(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", answer("Plan: ship it"))

    result = await call.complete(acct.ctx, LlmRequest("What now?", model=SONNET, purpose="test"))

    assert result.output == "Plan: ship it"
    assert (result.provider, result.model) == ("anthropic", "claude-sonnet-4-6")
    assert len(result.attempts) == 1 and result.tokens_in > 0 and result.tokens_out == 3
    assert result.cost_usd > 0
    rows = await _logged(acct.ctx)
    assert [(r.provider, r.status, r.purpose) for r in rows] == [("anthropic", "ok", "test")]
    assert rows[0].cost_usd == result.cost_usd
    assert await _status(acct.ctx, "anthropic") == ("ok", "")
    # The fake received the tenant's key, proving the credential reached LiteLLM decrypted.
    assert fake_llm.requests[0].headers["x-api-key"] == "sk-test-anthropic-0000abcd"


async def test_a_deferred_success_is_logged_only_with_the_callers_transaction(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("overloaded"), answer("Plan: ship it"))
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as session:
        setup = await call.prepare(session, acct.ctx)

    request = LlmRequest("What now?", model=SONNET, fallbacks=[], purpose="test")
    result = await call.complete(acct.ctx, request, setup=setup, defer_success=True)

    assert result.output == "Plan: ship it"
    # The overloaded attempt is logged at once; the accepted one waits for the caller.
    assert [r.status for r in await _logged(acct.ctx)] == ["failed"]
    with pytest.raises(RuntimeError):
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as session:
            await call.record_success(session, acct.ctx, result)
            raise RuntimeError("the caller's own write failed")
    assert [r.status for r in await _logged(acct.ctx)] == ["failed"]  # rolled back with it
    await call.record_success_alone(acct.ctx, result)
    await call.record_success_alone(acct.ctx, result)  # once only
    rows = await _logged(acct.ctx)
    assert [(r.status, r.attempt_no, r.call_id) for r in rows] == [
        ("failed", 1, result.call_id),
        ("ok", 2, result.call_id),
    ]
    assert rows[1].cost_usd == result.attempts[1].cost_usd > 0


async def test_a_setup_cache_rereads_keys_when_stale_or_forgotten(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "anthropic")
    cache = call.SetupCache(fresh_seconds=2.0)

    async def read() -> call.CallSetup:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as session:
            return await cache.get(session, acct.ctx)

    await read()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as session:
        await credentials.save_key(session, acct.ctx, "openai", "sk-test-openai-0000abcd", "")
        await preferences.set_fallback_order(session, acct.ctx, [MINI])

    cached = await read()
    # Within the two seconds: the same providers and chain (the budget is checked at each call by
    # its reservation, not from this set-up).
    assert set(cached.providers) == {"anthropic"} and cached.fallback_order == []
    assert cache.fresh() is cached
    cache.forget()
    assert set((await read()).providers) == {"anthropic", "openai"}
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as session:
        await credentials.save_key(session, acct.ctx, "gemini", "sk-test-gemini-0000abcd", "")
    await asyncio.sleep(2.05)
    assert cache.fresh() is None
    fresh = await read()
    assert set(fresh.providers) == {"anthropic", "openai", "gemini"} and fresh.fallback_order == [MINI]


async def test_credit_then_rate_limit_then_gemini_ok(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("credit"))
    # Asking to wait longer than we are willing to: move on instead of retrying.
    fake_llm.script("gpt-4.1-mini", fault("rate_limit", retry_after=120))
    fake_llm.script("gemini-2.5-pro", answer("Gemini says hi"))

    result = await call.complete(acct.ctx, LlmRequest("hello", model=SONNET, fallbacks=CHAIN))

    assert result.output == "Gemini says hi" and result.provider == "gemini"
    kinds = [(a.provider, a.status, a.error_kind) for a in result.attempts]
    assert "retry after 120 s" in result.attempts[1].error_message
    assert kinds == [
        ("anthropic", "failed", "credit_exhausted"),
        ("openai", "failed", "rate_limited"),
        ("gemini", "ok", ""),
    ]
    assert "credit balance is too low" in result.attempts[0].error_message
    assert len(await _logged(acct.ctx)) == 3
    assert (await _status(acct.ctx, "anthropic"))[0] == "out_of_credit"
    assert (await _status(acct.ctx, "openai"))[0] == "rate_limited"
    assert (await _status(acct.ctx, "gemini"))[0] == "ok"
    assert fake_llm.calls() == 3


async def test_all_fail_names_each_provider_and_keeps_the_log(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("credit"))
    fake_llm.script("gpt-4.1-mini", fault("auth"))
    fake_llm.script("gemini-2.5-pro", empty())

    with pytest.raises(LlmUnavailable) as caught:
        await call.complete(acct.ctx, LlmRequest("hello", model=SONNET, fallbacks=CHAIN))

    message = caught.value.message
    assert "anthropic/claude-sonnet-4-6: out of credit (Your credit balance is too low" in message
    assert "openai/gpt-4.1-mini: key rejected (Incorrect API key" in message
    assert "gemini/gemini-2.5-pro: empty answer" in message
    # Attempts were committed one by one, so the failure is on record.
    assert [r.status for r in await _logged(acct.ctx)] == ["failed", "failed", "failed"]
    assert (await _status(acct.ctx, "openai"))[0] == "invalid_key"


async def test_empty_answer_is_never_a_success(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    """Seed 000: the o3 fallback returned empty output and it counted as success."""
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "openai")
    fake_llm.script("o3", answer("   \n  "))

    with pytest.raises(LlmUnavailable, match="openai/o3: empty answer"):
        await call.complete(acct.ctx, LlmRequest("hello", model="openai/o3", fallbacks=[]))
    logged = await _logged(acct.ctx)
    assert logged[0].error_kind == "empty_answer"
    assert logged[0].tokens_in > 0  # an empty answer is still paid for, and counted


async def test_empty_answer_moves_on_to_the_next_model(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("credit"))
    fake_llm.script("o3", empty())

    result = await call.complete(acct.ctx, LlmRequest("plan", model=SONNET, fallbacks=["openai/o3", GEMINI_PRO]))

    assert result.provider == "gemini" and result.output.startswith("Answer from gemini-2.5-pro")
    assert [a.error_kind for a in result.attempts] == ["credit_exhausted", "empty_answer", ""]


async def test_validator_rejects_malformed_json_and_falls_back(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("gpt-4.1-mini", answer('{"action_points": ["a", '))
    fake_llm.script("gemini-2.5-pro", answer('{"action_points": ["a", "b"]}'))

    result = await call.complete(
        acct.ctx, LlmRequest("list", model=MINI, fallbacks=[GEMINI_PRO], validator=json_object(action_points=list))
    )

    assert json.loads(result.output)["action_points"] == ["a", "b"]
    assert result.attempts[0].error_kind == "invalid_answer"
    assert "not usable" in result.attempts[0].error_message


async def test_rate_limit_honours_retry_after_then_succeeds(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "openai")
    fake_llm.script("gpt-4.1-mini", fault("rate_limit", retry_after=0.2), answer("after waiting"))

    result = await call.complete(acct.ctx, LlmRequest("x", model=MINI, fallbacks=[]))

    assert result.output == "after waiting"
    assert [a.error_kind for a in result.attempts] == ["rate_limited", ""]
    assert fake_llm.calls("gpt-4.1-mini") == 2
    # Recovered: status OK, but the last error stays on show with its message.
    status, last_error = await _status(acct.ctx, "openai")
    assert status == "ok" and last_error.startswith("Rate limit reached")


@pytest.mark.parametrize(
    ("step", "kind", "retried"),
    [
        (fault("server"), "server_error", True),
        (fault("overloaded"), "overloaded", True),
        (fault("auth"), "auth", False),
        (fault("credit"), "credit_exhausted", False),
        (fault("context"), "context_too_long", False),
        (fault("bad_request"), "bad_request", False),
        (malformed_body(), "bad_response", False),
    ],
)
async def test_retries_only_what_waiting_can_fix(
    tenants: TenantFactory, fake_llm: FakeLLM, step, kind: str, retried: bool
) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", step, then=step)

    result = await call.complete(acct.ctx, LlmRequest("x", model=SONNET, fallbacks=[MINI]))

    assert result.provider == "openai"
    assert fake_llm.calls("claude-sonnet-4-6") == (2 if retried else 1)
    assert {a.error_kind for a in result.attempts[:-1]} == {kind}


async def test_stall_past_timeout_moves_on(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("gemini-2.5-pro", stall(10))

    result = await call.complete(acct.ctx, LlmRequest("x", model=GEMINI_PRO, fallbacks=[MINI], timeout=1))

    assert result.provider == "openai"
    assert result.attempts[0].error_kind == "timeout" and result.attempts[0].latency_ms >= 900
    assert (await _status(acct.ctx, "gemini"))[0] == "unreachable"


async def test_credit_failure_skips_the_rest_of_that_account(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", fault("credit"))

    chain = ["anthropic/claude-opus-4-6", MINI]
    result = await call.complete(acct.ctx, LlmRequest("x", model=SONNET, fallbacks=chain))

    assert result.provider == "openai"
    assert fake_llm.calls("claude-opus-4-6") == 0


async def test_streaming_delivers_pieces_and_restarts_after_a_cut(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("claude-sonnet-4-6", cut_stream("one two three four five six"))
    fake_llm.script("gpt-4.1-mini", answer("alpha beta gamma"))
    shown: list[str] = []

    async def on_delta(piece: str) -> None:
        shown.append(piece)

    async def on_restart() -> None:
        shown.clear()

    request = LlmRequest("x", model=SONNET, fallbacks=[MINI], on_delta=on_delta, on_restart=on_restart)
    result = await call.complete(acct.ctx, request)

    assert result.output == "alpha beta gamma" == "".join(shown)
    assert result.attempts[0].error_kind == "incomplete_stream"
    assert result.attempts[1].tokens_out == 3 and result.attempts[1].cost_usd > 0
    assert all(r.stream for r in fake_llm.requests)


async def test_images_reach_vision_models(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "openai")
    png = b"\x89PNG\r\n\x1a\nfake"

    await call.complete(acct.ctx, LlmRequest("describe", model=MINI, images=[ImageInput(png, "image/png")]))

    content = fake_llm.requests[0].body["messages"][-1]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


async def test_openai_compatible_endpoint(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await credentials.save_endpoint(session, acct.ctx, "ollama-local", fake_llm.openai_base, "llama3.1:8b")
    fake_llm.script("llama3.1:8b", answer("local answer"))

    result = await call.complete(acct.ctx, LlmRequest("x", model="ollama-local/llama3.1:8b"))

    assert (result.output, result.provider, result.cost_usd) == ("local answer", "ollama-local", 0)


async def test_no_provider_configured_is_a_clear_error(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    with pytest.raises(NoProvider, match="Settings → Providers"):
        await call.complete(acct.ctx, LlmRequest("x", model=SONNET))
    assert fake_llm.calls() == 0


async def test_unreachable_endpoint_is_a_network_failure(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct = await tenants.create()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await credentials.save_key(session, acct.ctx, "openai", "sk-test-openai-1234", "http://127.0.0.1:9/v1")

    with pytest.raises(LlmUnavailable, match=r"openai/gpt-4\.1-mini: unreachable"):
        await call.complete(acct.ctx, LlmRequest("x", model=MINI, fallbacks=[]))
    assert (await _status(acct.ctx, "openai"))[0] == "unreachable"


async def test_unreadable_key_fails_that_provider_only(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    from cryptography.fernet import Fernet
    from sqlalchemy import update

    from nyx_app.models.llm import ProviderCredential

    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    foreign = Fernet(Fernet.generate_key()).encrypt(b"sk-from-another-server").decode()
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await session.exec(
            update(ProviderCredential).where(col(ProviderCredential.name) == "anthropic").values(key_ciphertext=foreign)
        )

    result = await call.complete(acct.ctx, LlmRequest("x", model=SONNET, fallbacks=[MINI]))

    assert result.provider == "openai"
    assert result.attempts[0].error_kind == "auth" and "Enter the key again" in result.attempts[0].error_message
    assert fake_llm.calls("claude-sonnet-4-6") == 0
    assert (await _status(acct.ctx, "anthropic"))[0] == "invalid_key"


async def test_retry_after_is_honoured_by_later_calls(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    from nyx_app.services.llm.probe import probe_provider

    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm)
    fake_llm.script("gpt-4.1-mini", fault("rate_limit", retry_after=120))
    await call.complete(acct.ctx, LlmRequest("first", model=MINI, fallbacks=[GEMINI_PRO]))

    second = await call.complete(acct.ctx, LlmRequest("second", model=MINI, fallbacks=[GEMINI_PRO]))

    assert fake_llm.calls("gpt-4.1-mini") == 1  # not asked again inside the two minutes
    assert (second.attempts[0].status, second.provider) == ("skipped", "gemini")
    assert "asked not to be called before" in second.attempts[0].error_message
    with pytest.raises(LlmUnavailable, match="rate-limited"):
        await call.complete(acct.ctx, LlmRequest("third", model=MINI, fallbacks=[]))
    assert fake_llm.calls("gpt-4.1-mini") == 1

    # The Test button tries anyway; a success lifts the wait.
    assert (await probe_provider(acct.ctx, "openai")).ok
    await call.complete(acct.ctx, LlmRequest("fourth", model=MINI, fallbacks=[]))
    assert fake_llm.calls("gpt-4.1-mini") == 2


async def test_an_empty_answer_after_a_good_one_shows_on_the_badge(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    """The badge used to keep "OK" after an empty or garbled answer: it shows the latest outcome."""
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake_llm, "openai")
    fake_llm.script("gpt-4.1-mini", answer("fine"), empty(), answer("fine again"), malformed_body())

    await call.complete(acct.ctx, LlmRequest("x", model=MINI, fallbacks=[]))
    assert await _status(acct.ctx, "openai") == ("ok", "")
    with pytest.raises(LlmUnavailable):
        await call.complete(acct.ctx, LlmRequest("x", model=MINI, fallbacks=[]))
    assert await _status(acct.ctx, "openai") == ("answer_problem", "The model returned an empty answer.")
    await call.complete(acct.ctx, LlmRequest("x", model=MINI, fallbacks=[]))
    assert (await _status(acct.ctx, "openai"))[0] == "ok"
    with pytest.raises(LlmUnavailable):
        await call.complete(acct.ctx, LlmRequest("x", model=MINI, fallbacks=[]))
    assert await _status(acct.ctx, "openai") == (
        "answer_problem",
        "The provider's response could not be read (it is not valid JSON).",
    )


async def test_endpoint_that_turns_inward_after_saving_is_refused_at_call_time(
    tenants: TenantFactory, fake_llm: FakeLLM, fake_dns: FakeDNS
) -> None:
    """DNS rebinding: public when saved, private when called. Nothing is sent, nothing retried."""
    acct = await tenants.create()
    fake_dns.play("llm.example", ["93.184.216.34"], ["10.1.2.3"])
    async with transaction(tenant_id=acct.ctx.tenant_id) as session:
        await credentials.save_endpoint(session, acct.ctx, "gateway", "https://llm.example/v1", "small, large")
    await connect_providers(acct.ctx, fake_llm, "gemini")

    chain = ["gateway/large", GEMINI_PRO]
    result = await call.complete(acct.ctx, LlmRequest("x", model="gateway/small", fallbacks=chain))

    assert result.provider == "gemini"
    refused = (
        "This endpoint resolves to a private address (10.1.2.3), which this server does not call. "
        "An operator can allow it with NYX_LLM_ALLOWED_HOSTS."
    )
    # One attempt at the endpoint: not retried, and its other model is not tried either.
    assert [(a.provider, a.error_kind, a.error_message) for a in result.attempts[:-1]] == [
        ("gateway", "address_refused", refused)
    ]
    assert await _status(acct.ctx, "gateway") == ("address_refused", refused)
    assert fake_llm.calls() == 1  # only gemini


def test_errors_and_spend_do_not_import_the_call_path() -> None:
    """The old import circle: errors took Attempt from call, which imports errors and spend."""
    import subprocess
    import sys

    code = (
        "import sys; import nyx_app.services.llm.errors, nyx_app.services.llm.spend; "
        "assert 'nyx_app.services.llm.call' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
