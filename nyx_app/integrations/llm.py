"""Thin adapter over LiteLLM: one provider call, its usage and cost, and what went wrong.

LiteLLM does the provider work (request formats, streaming, usage, prices). This module only
turns its results and exceptions into our small types. ``import litellm`` costs ~5 s, so it is
imported inside the functions that need it, never when the app starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

DeltaHandler = Callable[[str], Awaitable[None]]


class ErrorKind(StrEnum):
    CREDIT = "credit_exhausted"
    RATE_LIMIT = "rate_limited"
    OVERLOADED = "overloaded"
    AUTH = "auth"
    BAD_REQUEST = "bad_request"
    CONTEXT_TOO_LONG = "context_too_long"
    TIMEOUT = "timeout"
    NETWORK = "network"
    SERVER = "server_error"
    BAD_RESPONSE = "bad_response"
    INCOMPLETE_STREAM = "incomplete_stream"
    EMPTY = "empty_answer"
    INVALID = "invalid_answer"
    BUDGET = "over_budget"


class ProviderFailure(Exception):
    """A provider call failed; ``kind`` says whether a retry or another provider could help."""

    def __init__(self, kind: ErrorKind, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    cost_usd: float


def _package_dir() -> Path:
    # find_spec on a top-level package locates it without executing its (slow) __init__.
    spec = find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def price_table() -> dict[str, dict[str, Any]]:
    """LiteLLM's bundled model table, the same file ``litellm.model_cost`` loads when
    LITELLM_LOCAL_MODEL_COST_MAP=True, read directly so the UI need not import litellm."""
    data: dict[str, dict[str, Any]] = json.loads(
        (_package_dir() / "model_prices_and_context_window_backup.json").read_text()
    )
    data.pop("sample_spec", None)
    return data


def warm_up() -> None:
    """Import LiteLLM now (about 5 s of CPU). Workers call this in a thread at start-up, so the
    first run does not freeze the event loop (and, in the web process, every page) meanwhile."""
    import litellm  # noqa: F401


def _readable(exc: Exception) -> str:
    """The provider's own message, without LiteLLM's prefixes and JSON wrapping."""
    raw = str(getattr(exc, "message", "") or exc)
    start = raw.find("{")
    if start >= 0:
        try:
            body = json.loads(raw[start:])
            error = body.get("error", body)
            if isinstance(error, dict) and error.get("message"):
                return str(error["message"])
        except ValueError:
            pass
    cleaned = re.sub(r"^(litellm\.\w+: )+", "", raw)
    cleaned = re.sub(r"^\w+: \w*Exception - ", "", cleaned)
    cleaned = re.sub(r"^\w*Exception - ", "", cleaned)
    return cleaned.split(" Received Model Group=")[0].strip()[:500]


def _retry_after(exc: Exception) -> float | None:
    headers = getattr(exc, "litellm_response_headers", None) or {}
    value = dict(headers).get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# How providers say "pay first"; narrow phrases, since this check runs before the status codes.
CREDIT_MARKERS = (
    "credit balance is too low",
    "insufficient_quota",
    "exceeded your current quota",
    "plans & billing",
    "enable billing",
)
# LiteLLM reports a refused connection to OpenAI as an InternalServerError "Connection error.".
NETWORK_MARKERS = ("connection error", "connection refused", "cannot connect", "name or service not known")
BAD_BODY_MARKERS = ("expecting value", "unable to get json", "error converting to valid response")


def classify(exc: Exception) -> ProviderFailure:
    """Map a LiteLLM exception to an ErrorKind. Order matters: subclasses before their bases,
    and the credit check before status codes (Anthropic says it with 400, OpenAI with 429)."""
    from litellm import exceptions as litellm

    message = _readable(exc)
    lowered = (str(exc) + " " + message).lower()
    status = getattr(exc, "status_code", None)

    def failure(kind: ErrorKind) -> ProviderFailure:
        return ProviderFailure(kind, message, _retry_after(exc) if kind == ErrorKind.RATE_LIMIT else None)

    if isinstance(exc, litellm.ContextWindowExceededError):
        return failure(ErrorKind.CONTEXT_TOO_LONG)
    if any(marker in lowered for marker in CREDIT_MARKERS):
        return failure(ErrorKind.CREDIT)
    if (
        isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError)
        or status in (401, 403)
        or "missing credentials" in lowered
    ):
        return failure(ErrorKind.AUTH)
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return failure(ErrorKind.RATE_LIMIT)
    if isinstance(exc, litellm.Timeout):
        return failure(ErrorKind.TIMEOUT)
    if isinstance(exc, litellm.MidStreamFallbackError) or "payload is not completed" in lowered:
        return failure(ErrorKind.INCOMPLETE_STREAM)
    if any(marker in lowered for marker in BAD_BODY_MARKERS):
        return failure(ErrorKind.BAD_RESPONSE)
    if isinstance(exc, litellm.ServiceUnavailableError) or status in (503, 529) or "overloaded" in lowered:
        return failure(ErrorKind.OVERLOADED)
    if isinstance(exc, litellm.APIConnectionError) or any(m in lowered for m in NETWORK_MARKERS):
        return failure(ErrorKind.NETWORK)
    if isinstance(exc, litellm.InternalServerError | litellm.BadGatewayError) or (status or 0) >= 500:
        return failure(ErrorKind.SERVER)
    if isinstance(exc, litellm.BadRequestError | litellm.UnprocessableEntityError | litellm.NotFoundError):
        return failure(ErrorKind.BAD_REQUEST)
    return failure(ErrorKind.SERVER)


def _cost(response: Any, model: str) -> float:
    import litellm

    try:
        return float(litellm.completion_cost(completion_response=response, model=model))
    except Exception:  # unknown model (a local endpoint): LiteLLM has no price, so it costs 0
        return 0.0


async def complete(
    *,
    model: str,
    messages: list[dict[str, Any]],
    api_key: str | None,
    api_base: str | None,
    timeout: float,
    max_tokens: int | None = None,
    temperature: float | None = None,
    on_delta: DeltaHandler | None = None,
) -> Completion:
    """One call to one model, no retries (the caller decides). Streams when ``on_delta`` is given.

    ``model`` is LiteLLM's "provider/model" string. Raises ProviderFailure.
    """
    import litellm

    litellm.suppress_debug_info = True  # its "Give Feedback" banner on every error is noise here
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "api_key": api_key or None,
        "api_base": api_base or None,
        "timeout": timeout,
        # No retries inside LiteLLM or the OpenAI SDK: the call path counts and classifies each one.
        "num_retries": 0,
        "max_retries": 0,
    }
    if max_tokens:
        kwargs["max_tokens"] = max_tokens
    if temperature is not None:
        kwargs["temperature"] = temperature
    try:
        if on_delta is None:
            response = await litellm.acompletion(**kwargs)
        else:
            response = await _stream(litellm, kwargs, on_delta)
    except ProviderFailure:
        raise
    except Exception as exc:
        raise classify(exc) from exc
    choice = response.choices[0]
    usage = getattr(response, "usage", None)
    return Completion(
        text=choice.message.content or "",
        tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
        tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
        cost_usd=_cost(response, model),
    )


async def _stream(litellm: Any, kwargs: dict[str, Any], on_delta: DeltaHandler) -> Any:
    stream = await litellm.acompletion(**kwargs, stream=True, stream_options={"include_usage": True})
    chunks = []
    async for chunk in stream:
        chunks.append(chunk)
        delta = chunk.choices[0].delta.content if chunk.choices else None
        if delta:
            await on_delta(delta)
    response = litellm.stream_chunk_builder(chunks, messages=kwargs["messages"])
    # A stream that just stops (no finish reason) is a partial answer, not a short one.
    if response is None or not response.choices or response.choices[0].finish_reason is None:
        raise ProviderFailure(ErrorKind.INCOMPLETE_STREAM, "The answer stream ended before the answer was complete.")
    return response


def count_tokens(model: str, messages: list[dict[str, Any]]) -> int:
    import litellm

    try:
        return int(litellm.token_counter(model=model, messages=messages))
    except Exception:  # unknown tokenizer: roughly four characters per token
        return sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
