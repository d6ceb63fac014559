"""Webhooks: add one (URL, events; its signing secret shown once), pause, remove, and see every
delivery with its last attempt. Rules (address check, limits) are in services.webhooks.store."""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import page_header, section_card
from nyx_app.models.webhook import WebhookEvent
from nyx_app.pages.api_tokens.nav import integration_links
from nyx_app.services.context import TenantContext
from nyx_app.services.webhooks import store
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

EVENT_WORDS = {
    WebhookEvent.RUN_SUCCEEDED: "a run succeeded",
    WebhookEvent.RUN_FAILED: "a run failed",
    WebhookEvent.REVIEW_WAITING: "a run waits for a review",
    WebhookEvent.REPORT_READY: "a report is ready",
}


@dataclasses.dataclass
class HookRow:
    id: str
    name: str
    url: str
    events: str
    active: bool


@dataclasses.dataclass
class DeliveryRow:
    id: str
    hook: str
    event: str
    status: str
    attempts: int
    when: str
    last: str


async def _read(session: AsyncSession, ctx: TenantContext):  # type: ignore[no-untyped-def]
    return await store.list_webhooks(session, ctx), await store.list_deliveries(session, ctx)


def _last(d: store.DeliveryView) -> str:
    if d.last_status_code is not None:
        return f"HTTP {d.last_status_code}" + (f": {d.last_response[:120]}" if d.last_response else "")
    return d.last_error or "not sent yet"


class WebhooksState(AuthState):
    hooks: list[HookRow] = []
    deliveries: list[DeliveryRow] = []
    loaded: bool = False
    new_secret: str = ""
    made: int = 0

    async def _reload(self) -> None:
        hooks, deliveries = await self._in_tenant(_read)
        names = {h.id: h.name for h in hooks}
        self.hooks = [HookRow(str(h.id), h.name, h.url, ", ".join(h.events), h.active) for h in hooks]
        self.deliveries = [
            DeliveryRow(
                str(d.id),
                names.get(d.webhook_id, ""),
                d.event,
                d.status.value,
                d.attempts,
                f"{d.created_at:%d %b %H:%M:%S} UTC",
                _last(d),
            )
            for d in deliveries
        ]
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        self.new_secret = ""
        await self._reload()

    @rx.event
    @user_action(form="new-webhook")
    async def create(self, form: dict[str, str]):
        events = [e.value for e in WebhookEvent if form.get(f"event_{e.value}") in ("on", "true")]
        made = await self._in_tenant(
            lambda s, c: store.create_webhook(s, c, name=form.get("name", ""), url=form.get("url", ""), events=events)
        )
        self.new_secret, self.made = made.secret, self.made + 1
        await self._reload()
        return toasts.done("Webhook added. Copy its signing secret now: it is shown only once.")

    @rx.event
    @user_action
    async def set_active(self, webhook_id: str, active: bool):
        await self._in_tenant(lambda s, c: store.update_webhook(s, c, webhook_id, active=active))
        await self._reload()

    @rx.event
    @user_action
    async def delete(self, webhook_id: str):
        await self._in_tenant(lambda s, c: store.delete_webhook(s, c, webhook_id))
        await self._reload()
        return toasts.done("Webhook removed, with its delivery log.")


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field("Name", "name", "new-webhook", placeholder="e.g. Team chat"),
            field("URL", "url", "new-webhook", placeholder="https://example.com/hooks/nyx", input_mode="url"),
            rx.vstack(
                rx.text("Events", size="2", weight="medium"),
                *[
                    rx.checkbox(f"{words} ({e.value})", name=f"event_{e.value}", default_checked=True, size="2")
                    for e, words in EVENT_WORDS.items()
                ],
                rx.cond(
                    WebhooksState.field_errors.get("new-webhook.events", "") != "",  # type: ignore[attr-defined]
                    rx.text(WebhooksState.field_errors.get("new-webhook.events", ""), color_scheme="red", size="1"),  # type: ignore[attr-defined]
                ),
                spacing="1",
            ),
            form_error("new-webhook"),
            rx.button("Add webhook", type="submit", id="add-webhook"),
            spacing="3",
            width="100%",
        ),
        on_submit=WebhooksState.create,
        key=WebhooksState.made,
        width="100%",
    )


def _hook(h: HookRow) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(rx.text(h.name, weight="medium"), rx.badge(rx.cond(h.active, "active", "paused")), spacing="2"),
            rx.code(h.url, size="1"),
            rx.text(h.events, size="1", color_scheme="gray"),
            spacing="1",
            min_width="0",
        ),
        rx.hstack(
            rx.button(
                rx.cond(h.active, "Pause", "Resume"),
                size="1",
                variant="soft",
                on_click=WebhooksState.set_active(h.id, ~h.active),
            ),
            confirm_dialog(
                "Remove this webhook?",
                "It stops receiving events; its delivery log is removed too.",
                WebhooksState.delete(h.id),
                trigger_label="Remove",
                confirm_label="Remove webhook",
            ),
            spacing="2",
        ),
        justify="between",
        align="center",
        gap="3",
        wrap="wrap",
        width="100%",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        class_name="webhook-row",
    )


def _delivery(d: DeliveryRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(d.when, size="1", white_space="nowrap")),
        rx.table.cell(d.hook),
        rx.table.cell(rx.code(d.event, size="1")),
        rx.table.cell(rx.badge(d.status), " ", rx.text(d.attempts, " attempt(s)", size="1", as_="span")),
        rx.table.cell(rx.text(d.last, size="1")),
        class_name="delivery-row",
    )


@signed_in_page(section="api")
def webhooks_page() -> rx.Component:
    return rx.vstack(
        page_header("Webhooks", description="Tell other tools when runs finish, reviews wait and reports are ready."),
        integration_links("webhooks"),
        error_callout(WebhooksState.error),
        rx.cond(
            WebhooksState.new_secret != "",
            rx.callout(
                rx.vstack(
                    rx.text("The signing secret, shown only this once (the README says how to check signatures):"),
                    rx.code(WebhooksState.new_secret, id="new-secret", word_break="break-all"),
                    rx.button("Copy", size="1", on_click=rx.set_clipboard(WebhooksState.new_secret)),
                    align="start",
                ),
                icon="key-round",
                color_scheme="green",
            ),
        ),
        section_card(
            "Webhooks",
            _form(),
            rx.divider(),
            rx.box(rx.foreach(WebhooksState.hooks, _hook), width="100%", id="webhooks"),
            description="Addresses inside the network are refused unless the operator allows them.",
            max_width="820px",
        ),
        section_card(
            "Deliveries",
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(h) for h in ("When", "Webhook", "Event", "Status", "Last answer")]
                    )
                ),
                rx.table.body(rx.foreach(WebhooksState.deliveries, _delivery)),
                size="1",
                width="100%",
            ),
            description="The 50 newest; failures are retried with growing waits, then given up.",
        ),
        spacing="4",
        width="100%",
    )
