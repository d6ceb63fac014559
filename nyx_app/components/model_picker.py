"""ProviderModelPicker: choose a provider, then one of its models, seeing price, context and speed.

Stateless: the page's state holds the options (built with ``model_options``) and the selection,
and passes its handlers. Every page that chooses a model uses this one component.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import reflex as rx

from nyx_app.models.llm import ProviderPublic
from nyx_app.services.llm import catalog


@dataclasses.dataclass
class ProviderOption:
    name: str
    label: str


@dataclasses.dataclass
class ModelOption:
    provider: str
    ref: str
    label: str
    price: str
    context: str
    fast: bool


def _money(per_mtok: float | None) -> str:
    return "?" if per_mtok is None else f"${per_mtok:,.2f}"


def _context(tokens: int | None) -> str:
    if not tokens:
        return "context unknown"
    return f"{tokens / 1_000_000:.1f}M context" if tokens >= 1_000_000 else f"{tokens // 1000}K context"


def to_option(info: catalog.ModelInfo) -> ModelOption:
    price = (
        "price unknown"
        if info.input_per_mtok is None
        else f"{_money(info.input_per_mtok)} in / {_money(info.output_per_mtok)} out per M tokens"
    )
    return ModelOption(info.provider, info.ref, info.display_name, price, _context(info.context_window), info.fast)


def model_options(providers: Sequence[ProviderPublic]) -> tuple[list[ProviderOption], list[ModelOption]]:
    """Providers the tenant has set up, and their models: the catalog's, and each endpoint's."""
    names: list[ProviderOption] = []
    models: list[ModelOption] = []
    for p in providers:
        if p.provider == catalog.OPENAI_COMPATIBLE:
            names.append(ProviderOption(p.name, f"{p.name} (OpenAI-compatible)"))
            models += [to_option(m) for m in catalog.endpoint_models(p.name, p.models)]
        else:
            names.append(ProviderOption(p.name, catalog.PROVIDER_LABELS[p.provider]))
            models += [to_option(m) for m in catalog.models_of(p.provider)]
    return names, models


def _model_item(model: ModelOption, provider: rx.Var[str]) -> rx.Component:
    return rx.cond(
        model.provider == provider,
        rx.select.item(
            rx.hstack(
                rx.text(model.label, weight="medium"),
                rx.text(model.price, size="1", color_scheme="gray"),
                rx.text(model.context, size="1", color_scheme="gray"),
                rx.cond(model.fast, rx.badge("fast", color_scheme="green", size="1")),
                spacing="2",
                align="center",
            ),
            value=model.ref,
            class_name="model-option",
        ),
    )


def provider_model_picker(
    providers: rx.Var[list[ProviderOption]],
    models: rx.Var[list[ModelOption]],
    provider: rx.Var[str],
    model: rx.Var[str],
    on_provider_change: rx.EventHandler,
    on_model_change: rx.EventHandler,
    id: str = "model-picker",
) -> rx.Component:
    """``provider``/``model`` are the selected provider name and model ref ("provider/model")."""
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(placeholder="Provider", id=f"{id}-provider", aria_label="Provider"),
            rx.select.content(
                rx.foreach(providers, lambda p: rx.select.item(p.label, value=p.name, class_name="provider-option"))
            ),
            value=provider,
            on_change=on_provider_change,
        ),
        rx.select.root(
            rx.select.trigger(placeholder="Model", id=f"{id}-model", aria_label="Model", min_width="16em"),
            rx.select.content(rx.foreach(models, lambda m: _model_item(m, provider))),
            value=model,
            on_change=on_model_change,
        ),
        spacing="2",
        align="center",
        flex_wrap="wrap",  # the two selects stack on a phone instead of running off the screen
        id=id,
    )
