"""The LiteLLM adapter against the fake server: every fault, in every provider's dialect, is
classified the same way, so the call path can decide without knowing who said it."""

from __future__ import annotations

import pytest

from nyx_app.integrations import llm
from nyx_app.integrations.llm import ErrorKind, ProviderFailure
from tests.fakes.fixtures import base_for
from tests.fakes.llm_server import FakeLLM, Step, answer, cut_stream, fault, malformed_body, stall

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
