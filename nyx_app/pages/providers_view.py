"""What the providers page shows (its state and actions are in pages/providers.py)."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.model_picker import provider_model_picker
from nyx_app.components.page import empty_state, page_header, section_card
from nyx_app.components.spend_table import spend_table
from nyx_app.pages.providers import ProviderRow, ProvidersState
from nyx_app.services.llm import catalog, credentials
from nyx_app.services.llm.probe import probe_timeout_seconds


def _provider_row(p: ProviderRow) -> rx.Component:
    manage = ProvidersState.may_manage_keys
    return rx.table.row(
        rx.table.cell(
            rx.text(p.label, weight="medium"),
            rx.text(p.base_url, size="1", color_scheme="gray"),
            rx.cond(
                ~p.built_in,
                rx.text(
                    rx.cond(p.prices != "", "Prices per million tokens: " + p.prices, "Prices unknown"),
                    size="1",
                    color_scheme="gray",
                    class_name="endpoint-prices",
                ),
            ),
        ),
        rx.table.cell(rx.code(p.key_hint), class_name="key-hint"),
        rx.table.cell(
            rx.badge(p.status_label, color_scheme=p.status_color, class_name="provider-status"),
            rx.text(p.status_at, size="1", color_scheme="gray"),
        ),
        rx.table.cell(
            rx.text(p.last_error_at, size="1", color_scheme="gray", class_name="last-error-at"),
            rx.text(p.last_error, size="1", color_scheme=p.last_error_color, class_name="last-error"),
            max_width="26em",
        ),
        rx.table.cell(rx.text(p.last_ok_at, size="1")),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Test",
                    size="1",
                    loading=ProvidersState.testing == p.name,
                    on_click=ProvidersState.test(p.name),
                    class_name="test-provider",
                    title=_probe_hint(),
                ),
                rx.cond(
                    manage & p.built_in,
                    rx.button("Replace key", size="1", variant="soft", on_click=ProvidersState.replace(p.name)),
                ),
                rx.cond(
                    manage,
                    confirm_dialog(
                        "Remove this provider?",
                        "Its key is deleted here; LLM calls stop using it. The attempt log and spend stay.",
                        ProvidersState.remove(p.id),
                        trigger_label="Remove",
                        trigger_class="remove-provider",
                        confirm_class="confirm-remove-provider",
                    ),
                ),
                spacing="2",
            )
        ),
        class_name="provider-row",
        data_provider=p.name,
    )


def _probe_hint() -> str:
    return f"Test sends one tiny real request and gives up after {probe_timeout_seconds():g} s."


def _providers_table() -> rx.Component:
    headers = ("Provider", "Key", "Status", "Last error", "Last OK", "")
    return rx.vstack(
        rx.cond(
            ProvidersState.providers.length() > 0,  # type: ignore[attr-defined]
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                    rx.table.body(rx.foreach(ProvidersState.providers, _provider_row)),
                    width="100%",
                ),
                class_name="nyx-scroll-x",
            ),
            empty_state(
                "key-round",
                "No provider yet",
                "Add a key for Anthropic, OpenAI or Gemini below, or the address of a model server you run "
                "yourself. Until then nothing in this workspace can call a model.",
                id="no-providers",
            ),
        ),
        rx.text(_probe_hint(), size="1", color_scheme="gray", id="probe-hint", align_self="end"),
        width="100%",
    )


def _submit(label: str, id: str) -> rx.Component:
    return rx.box(
        rx.button(label, type="submit", id=id),
        class_name="nyx-row-fixed",
    )


def _key_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Add or replace a key", size="3"),
            rx.box(
                field(
                    "Provider",
                    "provider",
                    "key",
                    id="key-provider",
                    control=rx.select.root(
                        rx.select.trigger(id="key-provider", aria_label="Provider", width="100%"),
                        rx.select.content(*[rx.select.item(v, value=k) for k, v in catalog.BUILT_IN_PROVIDERS.items()]),
                        value=ProvidersState.key_provider,
                        on_change=ProvidersState.set_key_provider,
                    ),
                ),
                field("API key", "api_key", "key", id="api-key", type="password", auto_complete="off"),
                field("Base URL (optional)", "base_url", "key", id="key-base-url", placeholder="a proxy or gateway"),
                _submit("Save key", "save-key"),
                class_name="nyx-row",
            ),
            form_error("key"),
            width="100%",
        ),
        on_submit=ProvidersState.save_key,
        key=ProvidersState.saved,
        width="100%",
    )


def _endpoint_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Add an OpenAI-compatible endpoint", size="3"),
            rx.text(
                "A model server you run yourself or a gateway: Ollama (",
                rx.code("http://localhost:11434/v1"),
                "), vLLM, LM Studio (",
                rx.code("http://localhost:1234/v1"),
                "). Give it a name, its base URL (usually ending in /v1) and the model names it serves; "
                "a key only if it asks for one. Outside development the server may only call internal "
                "addresses listed by the administrator (NYX_LLM_ALLOWED_HOSTS). Without prices its calls "
                "count as unknown cost: a monthly budget cannot limit them.",
                size="2",
                color_scheme="gray",
            ),
            rx.box(
                field("Name", "name", "endpoint", id="endpoint-name", placeholder="e.g. ollama-local"),
                field("Base URL", "base_url", "endpoint", id="endpoint-url", placeholder="http://localhost:11434/v1"),
                field(
                    "Models", "models", "endpoint", id="endpoint-models", placeholder="comma-separated, e.g. llama3.1"
                ),
                field("Key (optional)", "api_key", "endpoint", id="endpoint-key", type="password", auto_complete="off"),
                field(
                    "Prices (optional, USD per million tokens: input / output)",
                    "prices",
                    "endpoint",
                    id="endpoint-prices",
                    placeholder=credentials.PRICES_EXAMPLE,
                ),
                _submit("Save endpoint", "save-endpoint"),
                class_name="nyx-row",
            ),
            form_error("endpoint"),
            width="100%",
        ),
        on_submit=ProvidersState.save_endpoint,
        key=ProvidersState.saved,
        width="100%",
    )


def _chain() -> rx.Component:
    def item(ref: rx.Var[str], index: rx.Var[int]) -> rx.Component:
        return rx.hstack(
            rx.text(index + 1, ". ", ref, class_name="chain-item"),
            rx.icon_button("arrow-up", size="1", variant="ghost", on_click=ProvidersState.move_up(index)),
            rx.icon_button("x", size="1", variant="ghost", color_scheme="red", on_click=ProvidersState.drop(index)),
            align="center",
        )

    return section_card(
        "Fallback order",
        rx.foreach(ProvidersState.fallback_order, item),
        rx.cond(
            ProvidersState.picker_providers.length() > 0,  # type: ignore[attr-defined]
            rx.flex(
                provider_model_picker(
                    ProvidersState.picker_providers,
                    ProvidersState.picker_models,
                    ProvidersState.chain_provider,
                    ProvidersState.chain_model,
                    ProvidersState.set_chain_provider,
                    ProvidersState.set_chain_model,
                    id="chain-picker",
                ),
                rx.button(
                    "Add to chain",
                    on_click=ProvidersState.add_to_chain,
                    id="add-to-chain",
                    disabled=ProvidersState.chain_model == "",
                ),
                align="center",
                gap="2",
                wrap="wrap",
            ),
            rx.text(
                "Add a provider first; then choose the models to fall back on here.",
                size="2",
                color_scheme="gray",
                id="chain-needs-provider",
            ),
        ),
        description="When a project's model fails (out of credit, overloaded, down), these are tried in order.",
    )


def _spend() -> rx.Component:
    return section_card(
        "Spend and budget",
        rx.text("This month: ", rx.text.strong(ProvidersState.month_spent, id="month-spent"), size="2"),
        rx.link("Cost per day by provider or project, with CSV", href=routes.SPEND, size="2", id="spend-link"),
        rx.cond(
            ProvidersState.may_manage_budget,
            rx.form(
                rx.box(
                    field(
                        "Monthly budget (USD, empty = no limit)",
                        "budget",
                        "budget-form",
                        id="budget",
                        default_value=ProvidersState.budget,
                        key=ProvidersState.budget,
                    ),
                    _submit("Save budget", "save-budget"),
                    class_name="nyx-row",
                ),
                form_error("budget-form"),
                on_submit=ProvidersState.save_budget,
            ),
            rx.text(
                "Monthly budget: ",
                rx.text.strong(rx.cond(ProvidersState.budget != "", f"${ProvidersState.budget}", "no limit")),
                size="2",
            ),
        ),
        rx.flex(
            spend_table("This month per provider", ProvidersState.by_provider, "Provider", "spend-by-provider"),
            spend_table("Last 30 days per day", ProvidersState.by_day, "Day (UTC)", "spend-by-day"),
            gap="6",
            align="start",
            wrap="wrap",
        ),
    )


@signed_in_page(section="providers")
def providers_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "LLM providers",
            description=(
                "A provider is a service that runs language models for nyxCore: a cloud API (Anthropic, OpenAI, "
                "Google Gemini) with this workspace's key, or an OpenAI-compatible server you run yourself. "
                "Keys are stored encrypted; only their last four characters are ever shown."
            ),
        ),
        error_callout(ProvidersState.error),
        section_card("Providers", _providers_table()),
        rx.cond(
            ProvidersState.may_manage_keys,
            section_card("Add a provider", _key_form(), rx.divider(), _endpoint_form()),
        ),
        rx.cond(ProvidersState.may_manage_chain, _chain()),
        _spend(),
        width="100%",
        spacing="4",
    )
