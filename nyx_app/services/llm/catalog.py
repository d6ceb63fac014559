"""The model catalog: the one place that lists providers, models, prices and defaults.

Prices and context windows come from LiteLLM's bundled model table where it has the model;
``OVERRIDES`` wins over it (a negotiated price, a model LiteLLM does not know yet). Every page
that chooses a model reads this module through the ProviderModelPicker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from nyx_app.integrations.llm import price_table

ANTHROPIC, OPENAI, GEMINI, OPENAI_COMPATIBLE = "anthropic", "openai", "gemini", "openai_compatible"
BUILT_IN_PROVIDERS: dict[str, str] = {ANTHROPIC: "Anthropic", OPENAI: "OpenAI", GEMINI: "Google Gemini"}
PROVIDER_LABELS: dict[str, str] = {**BUILT_IN_PROVIDERS, OPENAI_COMPATIBLE: "OpenAI-compatible endpoint"}

# Defaults for new projects, and the default fast model (seed 002).
DEFAULT_MODELS: dict[str, str] = {ANTHROPIC: "claude-sonnet-4-6", OPENAI: "gpt-4.1-mini", GEMINI: "gemini-2.5-pro"}
DEFAULT_MODEL_REF = "anthropic/claude-sonnet-4-6"
DEFAULT_FAST_MODEL_REF = "openai/gpt-4.1-mini"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    provider: str  # a provider name: "anthropic", or an endpoint's name
    model_id: str
    display_name: str
    context_window: int | None = None
    max_output: int | None = None
    input_per_mtok: float | None = None  # USD per million input tokens; None: unknown
    output_per_mtok: float | None = None
    fast: bool = False
    strong: bool = False
    vision: bool = False

    @property
    def ref(self) -> str:
        return f"{self.provider}/{self.model_id}"


# provider, model id, display name, fast, strong
_MODELS: tuple[tuple[str, str, str, bool, bool], ...] = (
    (ANTHROPIC, "claude-opus-4-6", "Claude Opus 4.6", False, True),
    (ANTHROPIC, "claude-sonnet-4-6", "Claude Sonnet 4.6", False, True),
    (ANTHROPIC, "claude-sonnet-4-5", "Claude Sonnet 4.5", False, True),
    (OPENAI, "gpt-5", "GPT-5", False, True),
    (OPENAI, "gpt-5-mini", "GPT-5 Mini", True, False),
    (OPENAI, "o3", "o3", False, True),
    (OPENAI, "o4-mini", "o4 Mini", True, False),
    (OPENAI, "gpt-4.1", "GPT-4.1", False, True),
    (OPENAI, "gpt-4.1-mini", "GPT-4.1 Mini", True, False),
    (OPENAI, "gpt-4.1-nano", "GPT-4.1 Nano", True, False),
    (GEMINI, "gemini-2.5-pro", "Gemini 2.5 Pro", False, True),
    (GEMINI, "gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", True, False),
)

# Field values that beat LiteLLM's table, keyed by model ref.
OVERRIDES: dict[str, dict[str, Any]] = {}


def litellm_model(provider_kind: str, model_id: str) -> str:
    """LiteLLM's model string. OpenAI-compatible endpoints speak the OpenAI protocol."""
    return f"{OPENAI if provider_kind == OPENAI_COMPATIBLE else provider_kind}/{model_id}"


def _from_table(provider: str, model_id: str) -> dict[str, Any]:
    table = price_table()
    entry = table.get(f"{provider}/{model_id}") or table.get(model_id) or {}
    per_m = 1_000_000

    def price(key: str) -> float | None:
        value = entry.get(key)
        return round(float(value) * per_m, 4) if value is not None else None

    return {
        "context_window": entry.get("max_input_tokens"),
        "max_output": entry.get("max_output_tokens"),
        "input_per_mtok": price("input_cost_per_token"),
        "output_per_mtok": price("output_cost_per_token"),
        "vision": bool(entry.get("supports_vision")),
    }


@lru_cache(maxsize=1)
def catalog() -> tuple[ModelInfo, ...]:
    models = []
    for provider, model_id, name, fast, strong in _MODELS:
        info = ModelInfo(provider, model_id, name, fast=fast, strong=strong, **_from_table(provider, model_id))
        models.append(replace(info, **OVERRIDES.get(info.ref, {})))
    return tuple(models)


def models_of(provider: str) -> list[ModelInfo]:
    return [m for m in catalog() if m.provider == provider]


def endpoint_models(name: str, model_ids: list[str]) -> list[ModelInfo]:
    """Models of an OpenAI-compatible endpoint: known ones get LiteLLM's data, others none."""
    return [ModelInfo(name, m, m, **_from_table(OPENAI, m)) for m in model_ids]


def find(ref: str) -> ModelInfo | None:
    return next((m for m in catalog() if m.ref == ref), None)


def split_ref(ref: str) -> tuple[str, str]:
    """ "anthropic/claude-sonnet-4-6" -> ("anthropic", "claude-sonnet-4-6"); model ids may hold '/'."""
    provider, _, model_id = (ref or "").strip().partition("/")
    return provider, model_id
