"""Webhooks of the current workspace: list, add, change, remove; owners and admins only.

A URL is checked when it is saved against the same outbound rule as provider endpoints
(``net_guard``: nothing inside the network unless the operator lists it), so the refusal shows
next to the form; every delivery is checked again where it connects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.integrations import net_guard
from nyx_app.models.webhook import (
    WEBHOOK_NAME_MAX,
    WEBHOOK_URL_MAX,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from nyx_app.services import audit
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.llm.crypto import encrypt_key
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import Problems, parse_id, required_text
from nyx_app.services.webhooks.signing import new_secret

MAX_WEBHOOKS = 20
DELIVERIES_SHOWN = 50


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: uuid.UUID
    name: str
    url: str
    events: tuple[WebhookEvent, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewWebhook:
    view: WebhookView
    secret: str  # shown once; stored encrypted, needed to sign


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: uuid.UUID
    webhook_id: uuid.UUID
    event: str
    event_id: uuid.UUID
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    last_response: str


def _view(w: Webhook) -> WebhookView:
    return WebhookView(w.id, w.name, w.url, tuple(WebhookEvent(e) for e in w.events), w.active, w.created_at)


async def check_url(url: str) -> str:
    cleaned = required_text(url, "The URL", WEBHOOK_URL_MAX)
    try:
        parts = urlsplit(cleaned)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("The URL must start with https:// (or http://), e.g. https://example.com/hooks/nyx.")
    if parts.username or parts.password:
        raise InvalidInput("Put no user name or password in the URL; the signature proves the sender.")
    try:
        await net_guard.check_url(cleaned)
    except net_guard.RefusedAddress as refused:
        raise InvalidInput(refused.message.replace("This endpoint", "This URL", 1)) from None
    return cleaned


def parse_events(raw: list[str] | tuple[str, ...]) -> list[str]:
    chosen: list[str] = []
    for item in raw:
        try:
            event = WebhookEvent(str(item).strip())
        except ValueError:
            raise InvalidInput(
                f"Unknown event {item!r}. Choose from: {', '.join(e.value for e in WebhookEvent)}."
            ) from None
        if event.value not in chosen:
            chosen.append(event.value)
    if not chosen:
        raise InvalidInput("Choose at least one event.")
    return chosen


async def list_webhooks(session: AsyncSession, ctx: TenantContext) -> list[WebhookView]:
    require(ctx, Action.WEBHOOKS_MANAGE)
    return [_view(w) for w in await session.exec(select(Webhook).order_by(col(Webhook.created_at)))]


async def get_webhook(session: AsyncSession, ctx: TenantContext, webhook_id: str | uuid.UUID) -> Webhook:
    require(ctx, Action.WEBHOOKS_MANAGE)
    webhook = await session.get(Webhook, parse_id(webhook_id, "Webhook"))
    if webhook is None:
        raise NotFound("Webhook not found.")
    return webhook


async def create_webhook(
    session: AsyncSession, ctx: TenantContext, *, name: str, url: str, events: list[str] | tuple[str, ...]
) -> NewWebhook:
    require(ctx, Action.WEBHOOKS_MANAGE)
    problems = Problems()
    checked_name = problems.check("name", required_text, name, "Name", WEBHOOK_NAME_MAX)
    checked_url = await problems.check_async("url", check_url(url))
    chosen = problems.check("events", parse_events, list(events))
    count = (await session.exec(select(func.count()).select_from(Webhook))).one()
    if count >= MAX_WEBHOOKS:
        problems.add("name", f"A workspace has at most {MAX_WEBHOOKS} webhooks. Remove one first.")
    problems.raise_if_any()
    assert checked_name is not None and checked_url is not None and chosen is not None
    secret = new_secret()
    webhook = Webhook(
        tenant_id=ctx.tenant_id,
        name=checked_name,
        url=checked_url,
        events=chosen,
        secret_ciphertext=encrypt_key(secret),
        created_by=ctx.user_id,
    )
    session.add(webhook)
    await session.flush()
    await audit.record(
        session,
        ctx,
        audit.AuditAction.WEBHOOK_CREATED,
        object_type="webhook",
        object_id=webhook.id,
        object_label=checked_name,
        details={"url": checked_url, "events": chosen},
    )
    return NewWebhook(_view(webhook), secret)


async def update_webhook(
    session: AsyncSession,
    ctx: TenantContext,
    webhook_id: str | uuid.UUID,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
    name: str | None = None,
) -> WebhookView:
    webhook = await get_webhook(session, ctx, webhook_id)
    problems = Problems()
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = problems.check("name", required_text, name, "Name", WEBHOOK_NAME_MAX)
    if url is not None:
        changes["url"] = await problems.check_async("url", check_url(url))
    if events is not None:
        changes["events"] = problems.check("events", parse_events, events)
    if active is not None:
        changes["active"] = active
    problems.raise_if_any()
    for field, value in changes.items():
        setattr(webhook, field, value)
    session.add(webhook)
    await session.flush()
    await audit.record(
        session,
        ctx,
        audit.AuditAction.WEBHOOK_CHANGED,
        object_type="webhook",
        object_id=webhook.id,
        object_label=webhook.name,
        details=dict(changes),
    )
    return _view(webhook)


async def delete_webhook(session: AsyncSession, ctx: TenantContext, webhook_id: str | uuid.UUID) -> None:
    """The webhook and its delivery log; deliveries still queued find nothing and stop."""
    webhook = await get_webhook(session, ctx, webhook_id)
    await audit.record(
        session,
        ctx,
        audit.AuditAction.WEBHOOK_DELETED,
        object_type="webhook",
        object_id=webhook.id,
        object_label=webhook.name,
        details={"url": webhook.url},
    )
    await session.delete(webhook)
    await session.flush()


def delivery_view(d: WebhookDelivery) -> DeliveryView:
    last = d.log[-1] if d.log else {}
    return DeliveryView(
        d.id,
        d.webhook_id,
        d.event,
        d.event_id,
        DeliveryStatus(d.status),
        d.attempts,
        d.created_at,
        d.delivered_at,
        d.next_attempt_at,
        last.get("status_code"),
        str(last.get("error") or ""),
        str(last.get("response") or ""),
    )


async def list_deliveries(
    session: AsyncSession, ctx: TenantContext, webhook_id: str | uuid.UUID | None = None, limit: int = DELIVERIES_SHOWN
) -> list[DeliveryView]:
    """The newest deliveries (of one webhook, or all), with each one's last attempt."""
    require(ctx, Action.WEBHOOKS_MANAGE)
    stmt = (
        select(WebhookDelivery).order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id)).limit(limit)
    )
    if webhook_id is not None:
        stmt = stmt.where(WebhookDelivery.webhook_id == parse_id(webhook_id, "Webhook"))
    return [delivery_view(d) for d in await session.exec(stmt)]
