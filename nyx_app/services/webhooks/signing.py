"""The webhook signature, exactly as the README documents it for receivers.

Every delivery is a POST with a JSON body and three headers:

- ``Nyx-Webhook-Id``: the event's id (the same for every webhook it goes to; de-duplicate by it);
- ``Nyx-Webhook-Timestamp``: when this attempt was signed, in Unix seconds;
- ``Nyx-Webhook-Signature``: ``v1=`` and the hex HMAC-SHA256 of ``<timestamp>.<raw body>``, keyed
  with the webhook's secret (the whole ``whsec_…`` string, UTF-8).

A receiver recomputes the HMAC over the raw bytes it received, compares in constant time, and
refuses a timestamp more than five minutes away from its clock (a replayed old delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
ID_HEADER = "Nyx-Webhook-Id"
TIMESTAMP_HEADER = "Nyx-Webhook-Timestamp"
SIGNATURE_HEADER = "Nyx-Webhook-Signature"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "nyxCore-Webhooks/1",
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
