"""One attempt of one webhook delivery: sign, send, log what happened.

The request goes through ``net_guard.GuardedTransport`` (the same outbound rule as provider
endpoints, judged on the addresses it really connects to), never follows redirects, gives up after
``NYX_WEBHOOK_TIMEOUT_SECONDS``, and reads at most ``RESPONSE_KEPT`` bytes of the answer, so a
receiver that stalls, floods or answers 500 for an hour costs one job slot for a bounded time per
attempt and nothing else. No transaction is open while the request is in flight.

A 2xx answer delivers it. A refused address fails it at once (retrying cannot help). Anything else
is retried after the waits of ``NYX_WEBHOOK_RETRY_SECONDS`` (``DeliveryRetry`` tells the job when);
after the last one the delivery is failed. Every attempt is appended to the row's log.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.integrations import net_guard
from nyx_app.models.webhook import DeliveryStatus, Webhook, WebhookDelivery
from nyx_app.services.llm.crypto import KeyUnreadable, decrypt_key
from nyx_app.services.webhooks import signing
from nyx_app.settings import get_settings

RESPONSE_KEPT = 2000
LOG_KEPT = 20


class DeliveryRetry(Exception):
    """The attempt failed; try again in ``delay`` seconds."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(f"webhook delivery failed ({reason}); retrying in {delay:g} s")
        self.delay = delay


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    response: str
    error: str
    duration_ms: int
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(delivery: WebhookDelivery, tenant_id: uuid.UUID) -> bytes:
    """The same bytes on every attempt of a delivery."""
    envelope = {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "workspace_id": str(tenant_id),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True, default=str).encode()


async def send(url: str, secret: str, event_id: str, body: bytes) -> Attempt:
    settings = get_settings()
    headers = signing.headers(secret, event_id, int(time.time()), body)
    started = time.perf_counter()
    try:
        async with (
            httpx.AsyncClient(
                transport=net_guard.GuardedTransport(), timeout=settings.webhook_timeout_seconds, follow_redirects=False
            ) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            kept = bytearray()
            async for chunk in response.aiter_bytes():
                kept += chunk[: RESPONSE_KEPT - len(kept)]
                if len(kept) >= RESPONSE_KEPT:
                    break
            text = kept.decode("utf-8", "replace")
            return Attempt(response.status_code, text, "", _ms(started))
    except httpx.TimeoutException:
        return Attempt(None, "", f"No answer within {settings.webhook_timeout_seconds:g} s.", _ms(started))
    except httpx.HTTPError as exc:
        refusal = net_guard.refusal_in(exc)
        if refusal is not None:
            message = refusal.message.replace("This endpoint", "This URL", 1)
            return Attempt(None, "", message, _ms(started), refused=True)
        return Attempt(None, "", f"Could not connect: {exc}"[:500], _ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _entry(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": utcnow().isoformat(),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "response": attempt.response,
    }


async def deliver(tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryStatus | None:
    """Make the next attempt of a pending delivery. Returns its status afterwards (None: nothing to
    do: the delivery or its webhook is gone, or it is already settled); raises DeliveryRetry when
    it should be tried again later."""
    async with transaction(tenant_id) as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
            return None
        webhook = await session.get(Webhook, delivery.webhook_id)
        if webhook is None:
            return None
        url, body, event_id = webhook.url, body_of(delivery, tenant_id), str(delivery.event_id)
        error = ""
        try:
            secret = decrypt_key(webhook.secret_ciphertext)
        except KeyUnreadable as unreadable:
            secret = ""
            error = unreadable.message
    attempt = (
        await send(url, secret, event_id, body)
        if secret
        else Attempt(None, "", error.replace("provider key", "webhook secret"), 0, refused=True)
    )
    schedule = get_settings().webhook_retry_seconds
    async with transaction(tenant_id) as session:
        delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.log = [*delivery.log, _entry(attempt)][-LOG_KEPT:]
        retry_in: float | None = None
        if attempt.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryStatus.SUCCEEDED.value,
                utcnow(),
                None,
            )
        elif attempt.refused or delivery.attempts > len(schedule):
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED.value, None
        else:
            retry_in = schedule[delivery.attempts - 1]
            delivery.next_attempt_at = utcnow() + timedelta(seconds=retry_in)
        session.add(delivery)
        status = DeliveryStatus(delivery.status)
    if retry_in is not None:
        raise DeliveryRetry(retry_in, attempt.error or f"HTTP {attempt.status_code}")
    return status
