"""What went wrong in a provider call: the kind (so the call path can decide what to try next)
and a message in words (the provider's own where it has one; ours where it has none), never
LiteLLM's wrapping of it. Real samples of that wrapping are in tests/integrations/test_llm_errors.py.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum

import httpx

from nyx_app.integrations import net_guard


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
    ADDRESS_REFUSED = "address_refused"  # the endpoint is, or resolves to, an inside address
    REDIRECT = "redirected"


class ProviderFailure(Exception):
    """A provider call failed; ``kind`` says whether a retry or another provider could help."""

    def __init__(self, kind: ErrorKind, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


# How LiteLLM 1.106.2 wraps a provider's message: "litellm.InternalServerError: AnthropicException -
# {json}. Handle with `litellm.InternalServerError`.", "litellm.RateLimitError: RateLimitError:
# OpenAIException - …", "GeminiException BadRequestError - …", plus router and retry suffixes.
LIBRARY_PREFIX = re.compile(
    r"^(?:litellm\.\w+:\s*|\w*(?:Error|Exception)(?: \w+)?\s+-\s+|\w+(?:Error|Exception):\s+)+", re.IGNORECASE
)
LIBRARY_SUFFIXES = (
    re.compile(r"\s*Received Model Group=.*$", re.DOTALL),
    re.compile(r"\s*Available Model Group Fallbacks=.*$", re.DOTALL),
    re.compile(r",?\s*LiteLLM Retried: \d+ times?"),
    re.compile(r",?\s*LiteLLM Max Retries: \d+"),
    re.compile(r"\.\s*Handle with `litellm\.\w+`\.?"),  # LiteLLM adds the first "." itself
    re.compile(r"\.?\s*File an issue if litellm error - \S+"),
    re.compile(r"\s*Error_str: .*$", re.DOTALL),
)


def _provider_json_message(text: str) -> str | None:
    """The ``message`` of a provider's JSON error body inside ``text`` (any of the three shapes)."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        body, _ = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    error = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(error, str) and error:
        return error
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return None


def readable(exc: BaseException) -> str:
    """The provider's own message in words, without LiteLLM's prefixes, suffixes and JSON wrapping."""
    raw = str(getattr(exc, "message", "") or exc)
    for suffix in LIBRARY_SUFFIXES:
        raw = suffix.sub("", raw)
    found = _provider_json_message(raw)
    cleaned = found if found is not None else LIBRARY_PREFIX.sub("", raw.strip())
    return cleaned.strip()[:500]


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
NETWORK_MARKERS = (
    "connection error",
    "connection refused",
    "cannot connect",
    "name or service not known",
    "all connection attempts failed",
    "could not be resolved",
)
BAD_BODY_MARKERS = ("expecting value", "unable to get json", "error converting to valid response")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not e for e in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _connection_problem(exc: BaseException) -> str | None:
    """Why a connection failed, in words, from the exceptions LiteLLM wrapped; None when nothing
    in the chain is about the network (LiteLLM also calls other failures "connection errors")."""
    chain = _chain(exc)
    for inner in chain:  # the specific reason first, wherever it sits in the chain
        text = str(inner).lower()
        if isinstance(inner, ConnectionRefusedError) or "connection refused" in text or "connect call failed" in text:
            return "the connection was refused"
        if "could not be resolved" in text or "has no address" in text:
            return str(inner).rstrip(".")
        if isinstance(inner, OSError) and inner.strerror:
            return inner.strerror.lower()
    for inner in chain:
        text = str(inner).lower()
        if isinstance(inner, httpx.TransportError) or "connection error" in text or "cannot connect" in text:
            return "nothing answered at that address"
    return None


def _endpoint(api_base: str | None) -> str:
    host = httpx.URL(api_base).netloc.decode() if api_base else ""
    return f"the provider at {host}" if host else "the provider"


def _redirect(exc: BaseException) -> str | None:
    """Redirects are not followed (the next hop could be inside); say where it pointed."""
    responses = [getattr(inner, "response", None) for inner in _chain(exc)]
    redirects = [r for r in responses if isinstance(r, httpx.Response) and 300 <= r.status_code < 400]
    if not redirects:
        return None
    located = next((r for r in redirects if r.headers.get("location")), redirects[0])
    target = f" to {located.headers['location'][:200]}" if located.headers.get("location") else ""
    return (
        f"The endpoint answered with a redirect ({located.status_code}{target}), which this server does not "
        "follow. If that is the right address, use it as the base URL."
    )


def classify(exc: Exception, *, timeout: float | None = None, api_base: str | None = None) -> ProviderFailure:
    """Map a LiteLLM exception to an ErrorKind. Order matters: subclasses before their bases,
    and the credit check before status codes (Anthropic says it with 400, OpenAI with 429).

    The message is the provider's own words; where there are none (a timeout, a refused
    connection, a body that is not JSON), it is ours, never the library's.
    """
    from litellm import exceptions as litellm

    if (
        isinstance(exc, litellm.MidStreamFallbackError)
        and isinstance(exc.original_exception, Exception)
        and (exc.is_pre_first_chunk or not exc.generated_content)
    ):  # nothing was streamed yet: what went wrong is the wrapped error
        return classify(exc.original_exception, timeout=timeout, api_base=api_base)
    refusal = net_guard.refusal_in(exc)
    if refusal is not None:
        return ProviderFailure(ErrorKind.ADDRESS_REFUSED, refusal.message)
    redirect = _redirect(exc)
    if redirect is not None:
        return ProviderFailure(ErrorKind.REDIRECT, redirect)

    message = readable(exc)
    lowered = (str(exc) + " " + message).lower()
    status = getattr(exc, "status_code", None)

    def failure(kind: ErrorKind, words: str | None = None) -> ProviderFailure:
        retry_after = _retry_after(exc) if kind == ErrorKind.RATE_LIMIT else None
        return ProviderFailure(kind, words or message, retry_after)

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
        waited = f"within {timeout:g} s" if timeout else "in time"
        return failure(ErrorKind.TIMEOUT, f"{_endpoint(api_base).capitalize()} did not answer {waited}.")
    if isinstance(exc, litellm.MidStreamFallbackError) or "payload is not completed" in lowered:
        return failure(ErrorKind.INCOMPLETE_STREAM)
    if any(marker in lowered for marker in BAD_BODY_MARKERS):
        return failure(ErrorKind.BAD_RESPONSE, "The provider's response could not be read (it is not valid JSON).")
    if isinstance(exc, litellm.ServiceUnavailableError) or status in (503, 529) or "overloaded" in lowered:
        return failure(ErrorKind.OVERLOADED)
    if isinstance(exc, litellm.APIConnectionError) or any(m in lowered for m in NETWORK_MARKERS):
        problem = _connection_problem(exc)
        words = f"Could not connect to {_endpoint(api_base)}: {problem}." if problem else None
        return failure(ErrorKind.NETWORK, words)
    if isinstance(exc, litellm.InternalServerError | litellm.BadGatewayError) or (status or 0) >= 500:
        return failure(ErrorKind.SERVER)
    if isinstance(exc, litellm.BadRequestError | litellm.UnprocessableEntityError | litellm.NotFoundError):
        return failure(ErrorKind.BAD_REQUEST)
    return failure(ErrorKind.SERVER)
