"""The LiteLLM adapter against the fake server: every fault, in every provider's dialect, is
classified the same way, so the call path can decide without knowing who said it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from nyx_app.integrations import llm, net_guard
from nyx_app.integrations.llm import ErrorKind, ProviderFailure
from nyx_app.settings import Settings
from tests.fakes.dns import FakeDNS, fake_dns
from tests.fakes.fixtures import base_for
from tests.fakes.llm_server import FakeLLM, Step, answer, cut_stream, fault, malformed_body, redirect, stall

__all__ = ["fake_dns"]

MODELS = {"anthropic": "claude-sonnet-4-6", "openai": "gpt-4.1-mini", "gemini": "gemini-2.5-flash-lite"}
HELLO = [{"role": "user", "content": "hello there"}]


async def _call(fake: FakeLLM, provider: str, *, stream: bool = False, timeout: float = 5) -> llm.Completion:
    pieces: list[str] = []

    async def on_delta(piece: str) -> None:
        pieces.append(piece)

    done = await llm.complete(
        model=f"{provider}/{MODELS[provider]}",
        messages=HELLO,
        api_key="sk-test-key",
        api_base=base_for(fake, provider),
        timeout=timeout,
        on_delta=on_delta if stream else None,
    )
    if stream:
        assert "".join(pieces) == done.text
    return done


@pytest.mark.parametrize("provider", MODELS)
@pytest.mark.parametrize("stream", [False, True])
async def test_answers_with_usage_and_cost(fake_llm: FakeLLM, provider: str, stream: bool) -> None:
    fake_llm.script(MODELS[provider], answer("one two three"))
    done = await _call(fake_llm, provider, stream=stream)
    assert done.text == "one two three"
    assert (done.tokens_in, done.tokens_out) == (2, 3)
    assert done.cost_usd > 0


@pytest.mark.parametrize("provider", MODELS)
@pytest.mark.parametrize(
    ("step", "kind"),
    [
        (fault("credit"), ErrorKind.CREDIT),
        (fault("auth"), ErrorKind.AUTH),
        (fault("rate_limit", retry_after=7), ErrorKind.RATE_LIMIT),
        (fault("server"), ErrorKind.SERVER),
        (fault("overloaded"), ErrorKind.OVERLOADED),
        (fault("context"), ErrorKind.CONTEXT_TOO_LONG),
        (fault("bad_request"), ErrorKind.BAD_REQUEST),
        (malformed_body(), ErrorKind.BAD_RESPONSE),
    ],
)
async def test_faults_are_classified(fake_llm: FakeLLM, provider: str, step: Step, kind: ErrorKind) -> None:
    fake_llm.script(MODELS[provider], step)
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, provider)
    assert caught.value.kind == kind
    assert caught.value.message and "Exception -" not in caught.value.message
    if kind == ErrorKind.RATE_LIMIT:
        assert caught.value.retry_after == 7
    # One request per call: neither LiteLLM nor the OpenAI SDK retried behind our back.
    assert fake_llm.calls() == 1


async def test_anthropic_credit_message_is_the_providers_own(fake_llm: FakeLLM) -> None:
    fake_llm.script("claude-sonnet-4-6", fault("credit"))
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, "anthropic")
    assert caught.value.message.startswith("Your credit balance is too low to access the Anthropic API")


@pytest.mark.parametrize("provider", MODELS)
async def test_stall_is_a_timeout(fake_llm: FakeLLM, provider: str) -> None:
    fake_llm.script(MODELS[provider], stall(10))
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, provider, timeout=0.5)
    assert caught.value.kind == ErrorKind.TIMEOUT


@pytest.mark.parametrize("provider", MODELS)
async def test_cut_stream_is_incomplete(fake_llm: FakeLLM, provider: str) -> None:
    fake_llm.script(MODELS[provider], cut_stream())
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, provider, stream=True)
    assert caught.value.kind == ErrorKind.INCOMPLETE_STREAM


def test_price_table_has_litellm_prices() -> None:
    table = llm.price_table()
    assert table["gpt-4.1-mini"]["input_cost_per_token"] > 0
    assert "gemini/gemini-2.5-pro" in table


def test_price_table_is_what_litellm_model_cost_holds() -> None:
    import litellm

    from nyx_app.services.llm import catalog

    for model in catalog.catalog():
        key = model.model_id if model.provider != "gemini" else model.ref
        assert litellm.model_cost[key]["input_cost_per_token"] == llm.price_table()[key]["input_cost_per_token"]
        assert litellm.model_cost[key]["max_input_tokens"] == model.context_window


# -- the address guard is on every dialect's path -------------------------------------------------


@pytest.fixture
def nothing_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production policy without the tests' loopback exception."""
    monkeypatch.setattr(net_guard, "get_settings", lambda: Settings(llm_allowed_hosts=""))


@pytest.mark.parametrize("provider", MODELS)
@pytest.mark.parametrize("stream", [False, True])
async def test_fake_on_loopback_is_refused_unless_allowlisted(
    fake_llm: FakeLLM, nothing_allowed: None, provider: str, stream: bool
) -> None:
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, provider, stream=stream)
    assert caught.value.kind == ErrorKind.ADDRESS_REFUSED
    assert caught.value.message == (
        "This endpoint is a loopback address (127.0.0.1), which this server does not call. "
        "An operator can allow it with NYX_LLM_ALLOWED_HOSTS."
    )
    assert fake_llm.calls() == 0


@pytest.mark.parametrize("provider", MODELS)
async def test_a_name_resolving_inward_at_call_time_is_refused(
    fake_llm: FakeLLM, fake_dns: FakeDNS, provider: str
) -> None:
    fake_dns.add("llm.example", "10.1.2.3")
    with pytest.raises(ProviderFailure) as caught:
        await llm.complete(
            model=f"{provider}/{MODELS[provider]}",
            messages=HELLO,
            api_key="sk-test-key",
            api_base=base_for(fake_llm, provider).replace("127.0.0.1", "llm.example"),
            timeout=5,
        )
    assert (caught.value.kind, caught.value.message) == (
        ErrorKind.ADDRESS_REFUSED,
        "This endpoint resolves to a private address (10.1.2.3), which this server does not call. "
        "An operator can allow it with NYX_LLM_ALLOWED_HOSTS.",
    )
    # Resolved at call time (LiteLLM's handler tries a refused connection twice: both refused).
    assert fake_dns.lookups and set(fake_dns.lookups) == {"llm.example"}


@pytest.fixture
def second_server() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.mark.parametrize("provider", MODELS)
@pytest.mark.parametrize("stream", [False, True])
async def test_redirects_are_not_followed(
    fake_llm: FakeLLM, second_server: FakeLLM, provider: str, stream: bool
) -> None:
    target = second_server.openai_base + "/chat/completions"
    fake_llm.script(MODELS[provider], redirect(target))
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, provider, stream=stream)
    assert caught.value.kind == ErrorKind.REDIRECT
    assert caught.value.message == (
        f"The endpoint answered with a redirect (307 to {target}), which this server does not follow. "
        "If that is the right address, use it as the base URL."
    )
    assert second_server.calls() == 0


async def test_litellms_own_clients_go_through_the_guard(nothing_allowed: None, second_server: FakeLLM) -> None:
    """The backstop for LiteLLM code paths that build their own client instead of using ours."""
    import litellm
    from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler, get_async_httpx_client
    from litellm.llms.openai.common_utils import BaseOpenAILLM

    llm._litellm()
    for client in (
        AsyncHTTPHandler().client,
        get_async_httpx_client(llm_provider="anthropic").client,
        litellm.module_level_aclient.client,
        BaseOpenAILLM._get_async_http_client(),
    ):
        assert isinstance(client._transport, net_guard.GuardedTransport)
    # And for real: a call without our client, to a fresh server (no pooled connection to reuse).
    for provider in MODELS:
        with pytest.raises(Exception) as caught:
            await litellm.acompletion(
                model=f"{provider}/{MODELS[provider]}",
                messages=HELLO,
                api_key="sk-test-key",
                api_base=base_for(second_server, provider),
                timeout=5,
                num_retries=0,
                max_retries=0,
            )
        assert net_guard.refusal_in(caught.value) is not None
    assert second_server.calls() == 0


@pytest.mark.parametrize("provider", MODELS)
async def test_dead_port_says_so_in_words(fake_llm: FakeLLM, provider: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = base_for(fake_llm, provider).replace(fake_llm.url, f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderFailure) as caught:
        await llm.complete(
            model=f"{provider}/{MODELS[provider]}", messages=HELLO, api_key="k", api_base=base, timeout=5
        )
    assert (caught.value.kind, caught.value.message) == (
        ErrorKind.NETWORK,
        f"Could not connect to the provider at 127.0.0.1:{port}: the connection was refused.",
    )


@pytest.mark.parametrize("provider", MODELS)
async def test_stall_message_says_how_long_it_waited(fake_llm: FakeLLM, provider: str) -> None:
    fake_llm.script(MODELS[provider], stall(10))
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, provider, timeout=0.5)
    host = fake_llm.url.removeprefix("http://")
    assert caught.value.message == f"The provider at {host} did not answer within 0.5 s."


@pytest.mark.parametrize("provider", MODELS)
async def test_malformed_body_is_said_in_words(fake_llm: FakeLLM, provider: str) -> None:
    fake_llm.script(MODELS[provider], malformed_body())
    with pytest.raises(ProviderFailure) as caught:
        await _call(fake_llm, provider)
    assert caught.value.message == "The provider's response could not be read (it is not valid JSON)."


@pytest.mark.parametrize("stream", [False, True])
async def test_litellms_success_logging_runs_only_for_a_callback(
    fake_llm: FakeLLM, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its logging feeds callback integrations this app does not use; skipped, it costs no event
    # loop time after each answer. A callback configured later is served as before.
    litellm = llm._litellm()
    from litellm.integrations.custom_logger import CustomLogger
    from litellm.litellm_core_utils.litellm_logging import Logging

    # LiteLLM copies a configured callback into lists of its own when it is used: fresh lists,
    # put back after the test, so the callback does not outlive it.
    for name in ("callbacks", "success_callback", "_async_success_callback"):
        monkeypatch.setattr(litellm, name, [])
    bodies: list[str] = []
    real_body = Logging._async_success_handler_body

    async def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = kwargs.get("result", args[0] if args else None)
        bodies.append(str(getattr(result, "choices", [None])[0]))  # which answer it logs
        return await real_body(self, *args, **kwargs)

    monkeypatch.setattr(Logging, "_async_success_handler_body", counted)
    fake_llm.script(MODELS["anthropic"], answer("one two three"))
    await _call(fake_llm, "anthropic", stream=stream)
    await asyncio.sleep(0.2)  # LiteLLM logs from tasks of its own, after the answer
    assert not [b for b in bodies if "one two three" in b]

    seen: list[str] = []

    class Listener(CustomLogger):  # type: ignore[misc]
        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):  # type: ignore[no-untyped-def]
            seen.append(response_obj.choices[0].message.content)

    monkeypatch.setattr(litellm, "callbacks", [Listener()])
    fake_llm.script(MODELS["anthropic"], answer("four five"))
    await _call(fake_llm, "anthropic", stream=stream)
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.02)
    assert [b for b in bodies if "four five" in b] and seen == ["four five"]
