"""Provider errors reach the user in words: the provider's own message, or ours, never LiteLLM's
wrapping. The raw strings below are what LiteLLM 1.106.2 produced against the fake server (and,
for the router suffixes, what older versions appended on the running app)."""

from __future__ import annotations

from collections.abc import Callable

import litellm
import pytest

from nyx_app.integrations.llm_errors import ErrorKind, classify, readable

LIBRARY_WORDS = ("litellm", "Handle with", "Exception -", "Model Group", "Retried", "<ssl.", "Error_str")


def _server_error(message: str, **kw: object) -> Exception:
    return litellm.InternalServerError(message=message, llm_provider="anthropic", model="claude-sonnet-4-6", **kw)


CASES: list[tuple[str, Callable[[], Exception], ErrorKind, str]] = [
    (
        "anthropic 500, JSON then 'Handle with'",
        lambda: _server_error(
            'AnthropicException - {"type": "error", "error": {"type": "api_error", "message": "Internal server '
            'error"}}. Handle with `litellm.InternalServerError`.'
        ),
        ErrorKind.SERVER,
        "Internal server error",
    ),
    (
        "anthropic refused connection (aiohttp wording)",
        lambda: _server_error(
            "AnthropicException - Cannot connect to host 127.0.0.1:50943 ssl:<ssl.SSLContext object at "
            "0x7f8987215520> [Connect call failed ('127.0.0.1', 50943)]. Handle with `litellm.InternalServerError`."
        ),
        ErrorKind.NETWORK,
        "Could not connect to the provider at 127.0.0.1:50943: the connection was refused.",
    ),
    (
        "openai refused connection",
        lambda: litellm.InternalServerError(
            message="InternalServerError: OpenAIException - Connection error.", llm_provider="openai", model="m"
        ),
        ErrorKind.NETWORK,
        "Could not connect to the provider at 127.0.0.1:50943: nothing answered at that address.",
    ),
    (
        "a 'connection error' that is not about the network is not called one",
        lambda: litellm.APIConnectionError(
            message="APIConnectionError: OpenAIException - No module named 'mcp'", llm_provider="openai", model="o3-pro"
        ),
        ErrorKind.NETWORK,
        "No module named 'mcp'",
    ),
    (
        "retried by LiteLLM",
        lambda: litellm.RateLimitError(
            message="RateLimitError: OpenAIException - Rate limit reached for requests per min. "
            "Please try again in 1s.",
            llm_provider="openai",
            model="gpt-4.1-mini",
            num_retries=2,
            max_retries=2,
        ),
        ErrorKind.RATE_LIMIT,
        "Rate limit reached for requests per min. Please try again in 1s.",
    ),
    (
        "router suffixes",
        lambda: Exception(
            "litellm.RateLimitError: RateLimitError: OpenAIException - You exceeded your current quota, please "
            "check your plan and billing details. Received Model Group=gpt-4.1-mini\nAvailable Model Group "
            "Fallbacks=None LiteLLM Retried: 1 times, LiteLLM Max Retries: 2"
        ),
        ErrorKind.CREDIT,
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    (
        "gemini, prefix twice around JSON",
        lambda: litellm.RateLimitError(
            message='litellm.RateLimitError: GeminiException - {"error": {"code": 429, "message": "Resource has been '
            'exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}',
            llm_provider="gemini",
            model="gemini-2.5-pro",
        ),
        ErrorKind.RATE_LIMIT,
        "Resource has been exhausted (e.g. check quota).",
    ),
    (
        "gemini, sub-type in the prefix",
        lambda: litellm.BadRequestError(
            message='GeminiException BadRequestError - {"error": {"code": 400, "message": "Invalid value at '
            '\'generation_config.temperature\'.", "status": "INVALID_ARGUMENT"}}',
            llm_provider="gemini",
            model="gemini-2.5-pro",
        ),
        ErrorKind.BAD_REQUEST,
        "Invalid value at 'generation_config.temperature'.",
    ),
    (
        "gemini body that is not JSON",
        lambda: litellm.BadRequestError(
            message="GeminiException - Error converting to valid response block=Expecting value: line 1 column 27 "
            "(char 26). File an issue if litellm error - https://github.com/BerriAI/litellm/issues",
            llm_provider="gemini",
            model="gemini-2.5-pro",
        ),
        ErrorKind.BAD_RESPONSE,
        "The provider's response could not be read (it is not valid JSON).",
    ),
    (
        "openai timeout",
        lambda: litellm.Timeout(
            message="APITimeoutError - Request timed out. Error_str: Request timed out. - timeout value=10.0, "
            "time taken=10.0 seconds",
            model="gpt-4.1-mini",
            llm_provider="openai",
        ),
        ErrorKind.TIMEOUT,
        "The provider at 127.0.0.1:50943 did not answer within 10 s.",
    ),
    (
        "anthropic overloaded",
        lambda: _server_error(
            'AnthropicError - {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}'
        ),
        ErrorKind.OVERLOADED,
        "Overloaded",
    ),
]


@pytest.mark.parametrize(("make", "kind", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_errors_are_said_in_words(make: Callable[[], Exception], kind: ErrorKind, words: str) -> None:
    exc = make()
    failure = classify(exc, timeout=10, api_base="http://127.0.0.1:50943/v1")
    assert (failure.kind, failure.message) == (kind, words)
    assert not [w for w in LIBRARY_WORDS if w.lower() in failure.message.lower()]


def test_readable_strips_every_wrapper_of_a_plain_message() -> None:
    provider_says = "The model is warming up."  # exception_mapping_utils: f"…Exception - {error_str}. Handle with …"
    raw = _server_error(f"AnthropicException - {provider_says}. Handle with `litellm.InternalServerError`.")
    assert str(raw).startswith("litellm.InternalServerError: AnthropicException - ")
    assert readable(raw) == "The model is warming up."


def test_a_provider_message_is_kept_whole() -> None:
    assert readable(Exception("prompt is too long: 210000 tokens > 200000 maximum")) == (
        "prompt is too long: 210000 tokens > 200000 maximum"
    )
