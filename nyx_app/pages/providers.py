"""Settings → Providers: the tenant's LLM provider keys and endpoints with their health, the
fallback chain, the monthly budget, and spend per provider and per day.

A key goes from the form straight to the service, which encrypts it; state only ever holds its
last four characters. "Test" makes a real minimal call through the one call path.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import reflex as rx

from nyx_app import routes
from nyx_app.components.model_picker import ModelOption, ProviderOption, model_options
from nyx_app.components.spend_table import SpendLine, spend_lines
from nyx_app.models.llm import ProviderPublic, ProviderStatus
from nyx_app.services.errors import ServiceError
from nyx_app.services.llm import catalog, credentials, preferences
from nyx_app.services.llm.overview import LlmOverview, overview
from nyx_app.services.llm.probe import probe_provider
from nyx_app.services.llm.spend import usd
from nyx_app.services.permissions import Action, role_may
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, SignedOut, user_action

STATUS_COLORS: dict[ProviderStatus, str] = {
    ProviderStatus.OK: "green",
    ProviderStatus.UNTESTED: "gray",
    ProviderStatus.OUT_OF_CREDIT: "red",
    ProviderStatus.INVALID_KEY: "red",
    ProviderStatus.RATE_LIMITED: "amber",
    ProviderStatus.UNREACHABLE: "orange",
    ProviderStatus.ADDRESS_REFUSED: "red",
    ProviderStatus.REQUEST_REFUSED: "orange",
    ProviderStatus.ANSWER_PROBLEM: "orange",
}


@dataclasses.dataclass
class ProviderRow:
    id: str
    name: str
    label: str
    built_in: bool
    base_url: str
    key_hint: str
    models: str
    prices: str  # what the tenant set its endpoint's models to cost; "" if none
    status: str
    status_label: str
    status_color: str
    status_at: str
    last_error: str
    last_error_at: str
    # The last error is red while it is the current state, grey once the provider recovered.
    last_error_color: str
    last_ok_at: str


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _row(p: ProviderPublic) -> ProviderRow:
    label = catalog.PROVIDER_LABELS.get(p.provider, p.provider)
    return ProviderRow(
        id=str(p.id),
        name=p.name,
        label=label if p.provider != catalog.OPENAI_COMPATIBLE else f"{p.name} ({label})",
        built_in=p.provider in catalog.BUILT_IN_PROVIDERS,
        base_url=p.base_url,
        key_hint=f"…{p.key_last4}" if p.key_last4 else ("no key" if p.provider == catalog.OPENAI_COMPATIBLE else "…"),
        models=", ".join(p.models),
        prices=credentials.prices_text(p.model_prices),
        status=p.status.value,
        status_label=credentials.STATUS_LABELS.get(p.status, p.status),
        status_color=STATUS_COLORS.get(p.status, "gray"),
        status_at=_when(p.status_at),
        last_error=p.last_error,
        last_error_at=_when(p.last_error_at),
        last_error_color="gray" if p.status in (ProviderStatus.OK, ProviderStatus.UNTESTED) else "red",
        last_ok_at=_when(p.last_ok_at),
    )


class ProvidersState(AuthState):
    providers: list[ProviderRow] = []
    picker_providers: list[ProviderOption] = []
    picker_models: list[ModelOption] = []
    chain_provider: str = ""
    chain_model: str = ""
    fallback_order: list[str] = []
    budget: str = ""
    month_spent: str = "$0.00"
    by_provider: list[SpendLine] = []
    by_day: list[SpendLine] = []
    key_provider: str = catalog.ANTHROPIC
    testing: str = ""
    loaded: bool = False
    # Bumped after a successful create: the form is keyed by it, so React remounts it empty in the
    # same update that shows the result (clearing inputs afterwards could wipe new typing).
    saved: int = 0

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_manage_keys(self) -> bool:
        return role_may(self.role, Action.PROVIDER_KEYS_MANAGE)

    @rx.var
    def may_manage_chain(self) -> bool:
        return role_may(self.role, Action.FALLBACK_CHAIN_MANAGE)

    @rx.var
    def may_manage_budget(self) -> bool:
        return role_may(self.role, Action.BUDGET_MANAGE)

    def _show(self, data: LlmOverview) -> None:
        self.providers = [_row(p) for p in data.providers]
        self.picker_providers, self.picker_models = model_options(data.providers)
        self.fallback_order = data.fallback_order
        self.budget = f"{data.monthly_budget_usd:.2f}" if data.monthly_budget_usd is not None else ""
        self.month_spent = usd(data.month_spent_usd)
        self.by_provider, self.by_day = spend_lines(data.by_provider), spend_lines(data.by_day)
        self.loaded = True

    async def _reload(self) -> None:
        self._show(await self._in_tenant(overview))

    @rx.event
    @user_action
    async def load(self):
        await self._reload()

    @rx.event
    def set_key_provider(self, provider: str):
        self.key_provider = provider

    @rx.event
    @user_action(form="key")
    async def save_key(self, form: dict[str, str]):
        provider, key, base = self.key_provider, form.get("api_key", ""), form.get("base_url", "")
        await self._in_tenant(lambda s, c: credentials.save_key(s, c, provider, key, base))
        await self._reload()
        self.saved += 1
        return [toasts.done(f"{catalog.PROVIDER_LABELS[provider]} key saved. Press Test to check it.")]

    @rx.event
    @user_action(form="endpoint")
    async def save_endpoint(self, form: dict[str, str]):
        get = form.get
        saved = await self._in_tenant(
            lambda s, c: credentials.save_endpoint(
                s, c, get("name", ""), get("base_url", ""), get("models", ""), get("api_key", ""), get("prices", "")
            )
        )
        await self._reload()
        self.saved += 1
        return [toasts.done(f"Endpoint {saved.name} saved. Press Test to check it.")]

    @rx.event
    @user_action
    async def remove(self, credential_id: str):
        await self._in_tenant(lambda s, c: credentials.remove_provider(s, c, credential_id))
        await self._reload()
        return toasts.done("Provider removed; LLM calls no longer use it.")

    @rx.event
    def replace(self, name: str):
        """Point the key form at this provider; the new key replaces the stored one on save."""
        if name in catalog.BUILT_IN_PROVIDERS:
            self.key_provider = name
        return rx.set_focus("api-key")

    @rx.event(background=True)
    async def test(self, name: str):
        """A real call can take the whole timeout: run it outside the state lock."""
        async with self:
            try:
                ctx = await self._require()
            except SignedOut:
                return rx.redirect(routes.LOGIN)
            self.testing = name
        try:
            result = await probe_provider(ctx, name)
            toast = toasts.done(result.message) if result.ok else toasts.failed(result.message)
        except ServiceError as exc:
            toast = toasts.failed(exc.message)
        async with self:
            self.testing = ""
            await self._reload()
        return toast

    @rx.event
    def set_chain_provider(self, provider: str):
        self.chain_provider, self.chain_model = provider, ""

    @rx.event
    def set_chain_model(self, ref: str):
        self.chain_model = ref

    async def _save_chain(self, chain: list[str]) -> None:
        await self._in_tenant(lambda s, c: preferences.set_fallback_order(s, c, chain))
        await self._reload()

    @rx.event
    @user_action
    async def add_to_chain(self):
        if self.chain_model:
            await self._save_chain([*self.fallback_order, self.chain_model])

    @rx.event
    @user_action
    async def move_up(self, index: int):
        chain = list(self.fallback_order)
        if 0 < index < len(chain):
            chain[index - 1], chain[index] = chain[index], chain[index - 1]
            await self._save_chain(chain)

    @rx.event
    @user_action
    async def drop(self, index: int):
        await self._save_chain([r for i, r in enumerate(self.fallback_order) if i != index])

    @rx.event
    @user_action(form="budget-form")
    async def save_budget(self, form: dict[str, str]):
        raw = form.get("budget", "")
        await self._in_tenant(lambda s, c: preferences.set_budget(s, c, raw))
        await self._reload()
        return toasts.done("Budget saved.")
