"""Embedders: the local model (integrations/minilm.py) and providers' models through LiteLLM.

Local, two ways, so a batch never delays a search:
- ``embed_query_local`` runs in a thread of the calling process (~40 ms for a query on one core;
  numpy's BLAS releases the GIL);
- ``embed_documents_local`` runs in one worker process of its own (a process pool of one), so a
  batch of items (~50 ms each) never holds the event loop of the process that asked, and a
  process serving pages (the in-process worker) stays responsive.

Providers: ``embed_remote`` is LiteLLM's ``aembedding`` over the same guarded HTTP client as
completions (integrations/llm.py): only addresses the outbound guard allows are reached, nothing
retries inside LiteLLM. The answer is checked before anything stores it: one vector per text, all
of one dimension, every number finite; else ``ProviderFailure(INVALID)`` in words.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from nyx_app.integrations import llm as llm_adapter
from nyx_app.integrations import minilm
from nyx_app.integrations.llm_errors import ErrorKind, ProviderFailure, classify

LOCAL_PROVIDER = "local"
LOCAL_MODEL_ID = minilm.MODEL_NAME
LOCAL_MODEL_REF = f"{LOCAL_PROVIDER}/{LOCAL_MODEL_ID}"
LOCAL_DIMENSIONS = minilm.DIMENSIONS


@dataclass(frozen=True, slots=True)
class Embedded:
    vectors: list[list[float]]
    tokens: int = 0
    cost_usd: float = 0.0


def check_vectors(vectors: list[list[float]], count: int, expected_dims: int | None = None) -> int:
    """The dimension of a usable answer, or ProviderFailure(INVALID) saying what is wrong."""
    if len(vectors) != count:
        raise ProviderFailure(ErrorKind.INVALID, f"The provider returned {len(vectors)} vectors for {count} texts.")
    dims = {len(v) for v in vectors}
    if len(dims) != 1:
        raise ProviderFailure(ErrorKind.INVALID, "The provider returned vectors of different lengths.")
    (dim,) = dims
    if dim == 0:
        raise ProviderFailure(ErrorKind.INVALID, "The provider returned empty vectors.")
    if expected_dims is not None and dim != expected_dims:
        raise ProviderFailure(
            ErrorKind.INVALID,
            f"The provider returned vectors of {dim} dimensions; this model's vectors have {expected_dims}.",
        )
    if any(not math.isfinite(x) for v in vectors for x in v):
        raise ProviderFailure(ErrorKind.INVALID, "The provider returned vectors containing NaN or infinite numbers.")
    if any(not any(v) for v in vectors):
        raise ProviderFailure(ErrorKind.INVALID, "The provider returned an all-zero vector.")
    return dim


# --- local ---------------------------------------------------------------------------------------

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            # spawn: a fork of a process holding an event loop, threads and connections is unsafe.
            _POOL = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return _POOL


def _embed_in_child(texts: list[str]) -> list[list[float]]:
    return minilm.model().embed(texts).tolist()


def _embed_here(texts: list[str]) -> list[list[float]]:
    return minilm.model().embed(texts).tolist()


async def embed_documents_local(texts: list[str]) -> Embedded:
    loop = asyncio.get_running_loop()
    vectors = await loop.run_in_executor(_pool(), _embed_in_child, texts)
    return Embedded(vectors)


async def embed_query_local(text: str) -> list[float]:
    return (await asyncio.to_thread(_embed_here, [text]))[0]


def shutdown_local() -> None:
    """Stop the embedding process (tests and shutdown)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
            _POOL = None


# --- providers -----------------------------------------------------------------------------------


def _cost(litellm: Any, response: Any, model: str) -> float:
    hidden = getattr(response, "_hidden_params", None) or {}
    if hidden.get("response_cost") is not None:
        return float(hidden["response_cost"])
    try:
        return float(litellm.completion_cost(completion_response=response, model=model, call_type="aembedding"))
    except Exception:  # a model LiteLLM has no price for (a local endpoint) costs 0
        return 0.0


async def embed_remote(
    *,
    model: str,
    texts: list[str],
    api_key: str | None,
    api_base: str | None,
    timeout: float,
    expected_dims: int | None = None,
) -> Embedded:
    """One call embedding ``texts`` with LiteLLM's ``model`` ("openai/text-embedding-3-small").
    Raises ProviderFailure (classified like completions, or INVALID for an unusable answer)."""
    litellm = llm_adapter._litellm()
    try:
        async with llm_adapter.guarded_client(model, api_key or None, api_base or None, timeout) as client:
            response = await litellm.aembedding(
                model=model,
                input=texts,
                api_key=api_key or None,
                api_base=api_base or None,
                timeout=timeout,
                client=client,
                num_retries=0,
                max_retries=0,
            )
    except ProviderFailure:
        raise
    except Exception as exc:
        raise classify(exc, timeout=timeout, api_base=api_base) from exc
    data = sorted(response.data, key=lambda d: d["index"] if isinstance(d, dict) else d.index)
    vectors = [list(d["embedding"] if isinstance(d, dict) else d.embedding) for d in data]
    check_vectors(vectors, len(texts), expected_dims)
    usage = getattr(response, "usage", None)
    tokens = int(getattr(usage, "prompt_tokens", 0) or getattr(usage, "total_tokens", 0) or 0)
    return Embedded(vectors, tokens, _cost(litellm, response, model))
