"""The catalog: the models the seeds name, with LiteLLM's prices, and the defaults."""

from __future__ import annotations

import subprocess
import sys

from nyx_app.services.llm import catalog

REQUIRED = {
    "anthropic/claude-opus-4-6",
    "anthropic/claude-sonnet-4-6",
    "anthropic/claude-sonnet-4-5",
    "openai/gpt-5",
    "openai/gpt-5-mini",
    "openai/o3",
    "openai/o4-mini",
    "openai/gpt-4.1",
    "openai/gpt-4.1-mini",
    "openai/gpt-4.1-nano",
    "gemini/gemini-2.5-pro",
    "gemini/gemini-2.5-flash-lite",
}


def test_catalog_lists_the_required_models_with_prices_and_context() -> None:
    refs = {m.ref for m in catalog.catalog()}
    assert refs >= REQUIRED
    for model in catalog.catalog():
        assert model.input_per_mtok and model.output_per_mtok, model.ref
        assert model.context_window and model.context_window >= 128_000, model.ref


def test_prices_per_million_tokens_come_from_litellm() -> None:
    mini = catalog.find("openai/gpt-4.1-mini")
    assert mini is not None
    assert (mini.input_per_mtok, mini.output_per_mtok) == (0.4, 1.6)
    assert mini.fast and mini.vision


def test_defaults() -> None:
    assert catalog.DEFAULT_MODELS["anthropic"] == "claude-sonnet-4-6"
    assert catalog.DEFAULT_MODELS["openai"] == "gpt-4.1-mini"
    assert catalog.DEFAULT_FAST_MODEL_REF == "openai/gpt-4.1-mini"
    assert catalog.find(catalog.DEFAULT_MODEL_REF) is not None


def test_endpoint_models_without_litellm_data_have_no_price() -> None:
    [local] = catalog.endpoint_models("ollama-local", ["llama3.1:8b"])
    assert (local.ref, local.input_per_mtok, local.context_window) == ("ollama-local/llama3.1:8b", None, None)


def test_neither_the_catalog_nor_the_call_path_import_litellm_up_front() -> None:
    """The app imports these at start-up and reads the catalog on page load; litellm costs ~5 s."""
    code = (
        "import sys; from nyx_app.services.llm import catalog, call, probe; catalog.catalog(); "
        "assert 'litellm' not in sys.modules, 'litellm imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_overrides_beat_litellm_prices(monkeypatch) -> None:
    monkeypatch.setitem(catalog.OVERRIDES, "openai/gpt-4.1-mini", {"input_per_mtok": 0.1, "context_window": 64_000})
    catalog.catalog.cache_clear()
    try:
        mini = catalog.find("openai/gpt-4.1-mini")
        assert mini is not None and (mini.input_per_mtok, mini.output_per_mtok) == (0.1, 1.6)
        assert mini.context_window == 64_000
    finally:
        monkeypatch.undo()
        catalog.catalog.cache_clear()
