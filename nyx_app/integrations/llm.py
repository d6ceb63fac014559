"""Thin adapter over LiteLLM: one provider call, its usage and cost, and what went wrong.

LiteLLM does the provider work (request formats, streaming, usage, prices). This module only
turns its results and exceptions into our small types. ``import litellm`` costs ~5 s, so it is
imported inside the functions that need it (through ``_litellm()``), never when the app starts.

Every request goes through ``net_guard.GuardedTransport`` (endpoints are chosen by tenants and
must not reach inside): each call gets its own client on that transport with redirects off, and
``_litellm()`` also makes every HTTP client LiteLLM builds by itself use it, for code paths that
ignore the client they were given.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import httpx

from nyx_app.integrations import net_guard
from nyx_app.integrations.llm_errors import ErrorKind, ProviderFailure, classify

__all__ = ["Completion", "ErrorKind", "ProviderFailure", "classify", "complete", "count_tokens", "price_table"]

DeltaHandler = Callable[[str], Awaitable[None]]


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
    """Import and set up LiteLLM now (about 5 s of CPU). Workers call this in a thread at start-up,
    so the first run does not freeze the event loop (and, in the web process, every page)."""
    _litellm()


@lru_cache(maxsize=1)
def _litellm() -> Any:
    """LiteLLM, imported once and set up so that every HTTP client it builds by itself connects
    only through the guard (a backstop: ``complete`` passes its own guarded client anyway)."""
    import litellm
    from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

    litellm.suppress_debug_info = True  # its "Give Feedback" banner on every error is noise here
    litellm.disable_aiohttp_transport = True  # aiohttp resolves and connects by itself, unchecked
    # Its embedding path reads ``max_retries or DEFAULT_MAX_RETRIES``: the 0 we pass became 2, and
    # the OpenAI SDK retried a failed embedding twice on its own. No retries inside LiteLLM.
    setattr(litellm, "DEFAULT_MAX_RETRIES", 0)  # noqa: B010  (Final in its stubs; read at each call)

    def guarded_transport(*args: Any, **kwargs: Any) -> net_guard.GuardedTransport:
        return net_guard.GuardedTransport()

    # Both names: create_client and the OpenAI SDK's client factory look it up on the class.
    AsyncHTTPHandler.create_async_transport = staticmethod(guarded_transport)  # type: ignore[method-assign,assignment]
    AsyncHTTPHandler._create_async_transport = staticmethod(guarded_transport)  # type: ignore[assignment]
    # Clients built before this point (none in this app, which imports LiteLLM only here) go.
    litellm.in_memory_llm_clients_cache.flush_cache()
    litellm.module_level_aclient = AsyncHTTPHandler(follow_redirects=False)
    _success_logging_only_for_callbacks(litellm)
    return litellm


def _success_logging_only_for_callbacks(litellm: Any) -> None:
    """LiteLLM's success logging runs after every answer, on the caller's event loop: it builds its
    logging payload, truncates the messages and prices the answer again, all for its callback
    integrations (Langfuse, OpenTelemetry, ...). This app configures none and logs each attempt
    itself (``llm_call``), so it was pure overhead: ~0.75 ms of the worker's loop per step, run
    while the engine writes the step (scripts/bench/runs.py). Skipped while no callback is set;
    a callback added later gets its logging as before."""
    from litellm.litellm_core_utils.litellm_logging import Logging

    original = Logging.async_success_handler

    @functools.wraps(original)
    async def async_success_handler(self: Any, *args: Any, **kwargs: Any) -> Any:
        wanted = (
            litellm.callbacks
            or litellm.success_callback
            or litellm._async_success_callback
            or getattr(self, "dynamic_success_callbacks", None)
            or getattr(self, "dynamic_async_success_callbacks", None)
        )
        if wanted:
            return await original(self, *args, **kwargs)
        return None

    Logging.async_success_handler = async_success_handler  # type: ignore[method-assign]


def dialect(model: str) -> str:
    """LiteLLM's provider prefix of a model string: "openai", "anthropic", "gemini"."""
    return model.partition("/")[0]


@asynccontextmanager
async def guarded_client(model: str, api_key: str | None, api_base: str | None, timeout: float) -> AsyncIterator[Any]:
    """The HTTP client for one call, in the type LiteLLM expects for the model's dialect: an
    AsyncOpenAI for OpenAI (and OpenAI-compatible endpoints), its own AsyncHTTPHandler otherwise.
    Connections go through the guard; redirects are not followed."""
    _litellm()
    if dialect(model) == "openai":
        from openai import AsyncOpenAI

        http = httpx.AsyncClient(
            transport=net_guard.GuardedTransport(), follow_redirects=False, trust_env=False, timeout=timeout
        )
        try:
            client = AsyncOpenAI(api_key=api_key, base_url=api_base or None, http_client=http, max_retries=0)
        except Exception:
            await http.aclose()
            raise
        try:
            yield client
        finally:
            await client.close()
    else:
        from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

        handler = AsyncHTTPHandler(timeout=timeout, transport=net_guard.GuardedTransport(), follow_redirects=False)
        try:
            yield handler
        finally:
            await handler.close()


def _cost(response: Any, model: str) -> float:
    litellm = _litellm()
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
    litellm = _litellm()
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
        async with guarded_client(model, api_key or None, api_base or None, timeout) as client:
            if on_delta is None:
                response = await litellm.acompletion(**kwargs, client=client)
            else:
                response = await _stream(litellm, {**kwargs, "client": client}, on_delta)
    except ProviderFailure:
        raise
    except Exception as exc:
        raise classify(exc, timeout=timeout, api_base=api_base) from exc
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
    litellm = _litellm()
    try:
        return int(litellm.token_counter(model=model, messages=messages))
    except Exception:  # unknown tokenizer: roughly four characters per token
        return sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
