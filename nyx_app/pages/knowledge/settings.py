"""Settings → Search: which embedding model answers searches, how far embedding has come
("1,240 of 3,000 items embedded"), the items that failed and why, and switching the model.

Owners and admins choose among the models the workspace can use (the local one, or a provider's
set up under Providers); the service refuses anything else. "Refresh" re-reads the progress.
"""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import page_header, section_card
from nyx_app.services.context import TenantContext
from nyx_app.services.knowledge import embedding_model, status
from nyx_app.services.permissions import Action
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action


@dataclasses.dataclass
class FailedView:
    kind: str
    title: str
    error: str
    attempts: str
    item_id: str = ""


class SearchSettingsState(AuthState):
    model: str = ""
    target: str = ""
    label: str = ""
    choices: list[str] = []
    chosen: str = ""
    failed: list[FailedView] = []
    may_manage: bool = False
    loaded: bool = False

    async def _read(self) -> None:
        async def read(s: AsyncSession, c: TenantContext) -> tuple[status.EmbeddingStatus, list[str], TenantContext]:
            return await status.progress(s, c), await embedding_model.choices(s, c), c

        progress, choices, ctx = await self._in_tenant(read)
        self.model, self.target, self.label = progress.model, progress.target, progress.label
        self.choices, self.chosen = choices, progress.target
        self.failed = [
            FailedView(f.kind, f.title, f.error, f"{f.attempts} tries" + (", given up" if f.gave_up else ""), f.item_id)
            for f in progress.failed
        ]
        self.may_manage, self.loaded = ctx.may(Action.PROVIDER_KEYS_MANAGE), True

    @rx.event
    @user_action
    async def load(self):
        await self._read()

    @rx.event
    def choose(self, value: str):
        self.chosen = value

    @rx.event
    @user_action
    async def switch(self):
        chosen = self.chosen
        await self._in_tenant(lambda s, c: embedding_model.switch(s, c, chosen))
        await self._read()
        return toasts.done("Re-embedding in the background; search keeps the current model until it is done.")

    @rx.event
    @user_action
    async def retry_one(self, kind: str, item_id: str):
        """ "Try again" on one item (looked up under the tenant's RLS; anything else is a no-op)."""
        tried = await self._in_tenant(lambda s, c: status.retry_item(s, c, kind, item_id))
        await self._read()
        return toasts.done("It will be tried again." if tried else "That item is not failing any more.")

    @rx.event
    @user_action
    async def retry(self):
        count = await self._in_tenant(status.retry_failed)
        await self._read()
        return toasts.done(f"{count} items will be tried again.")


@signed_in_page
def search_settings_page() -> rx.Component:
    S = SearchSettingsState
    return rx.vstack(
        page_header(
            "Search",
            description=(
                "Search finds notes, memory, insights, run outputs and reports by words and by meaning. Meaning "
                "comes from an embedding model: the local one works with no key; a provider's model can be chosen."
            ),
        ),
        error_callout(S.error),
        section_card(
            "Embedding model",
            rx.text(rx.cond(S.loaded, S.label, "Loading…"), id="embedding-status", size="3"),
            rx.text("Answering searches: ", rx.code(S.model), size="2", color_scheme="gray"),
            rx.cond(
                S.may_manage,
                rx.hstack(
                    rx.select(S.choices, value=S.chosen, on_change=S.choose, id="embedding-model"),
                    rx.button("Use this model", on_click=S.switch, id="switch-embedding-model"),
                    rx.button("Refresh", variant="soft", on_click=S.load, id="refresh-embedding"),
                    spacing="2",
                    wrap="wrap",
                ),
            ),
        ),
        rx.cond(
            S.failed.length() > 0,
            section_card(
                "Not embedded",
                rx.foreach(
                    S.failed,
                    lambda f: rx.hstack(
                        rx.text(rx.text.strong(f.title), f" ({f.kind}, {f.attempts}): ", f.error, size="2"),
                        rx.cond(
                            S.may_manage,
                            rx.button(
                                "Try again",
                                size="1",
                                variant="soft",
                                on_click=S.retry_one(f.kind, f.item_id),
                                class_name="retry-embedding-item",
                            ),
                        ),
                        align="center",
                        justify="between",
                        width="100%",
                        class_name="failed-embedding",
                    ),
                ),
                rx.cond(S.may_manage, rx.button("Try all again", on_click=S.retry, id="retry-embedding")),
            ),
        ),
        section_card(
            "Policy library",
            rx.link(
                rx.button(rx.icon("scroll-text", size=14), "Open the policy library", variant="soft"),
                href=routes.POLICIES,
                id="open-policies",
            ),
            description="Policy documents (ISO 27001, DSGVO / GDPR, internal) searched and cited by workflows.",
        ),
        width="100%",
        spacing="4",
    )
