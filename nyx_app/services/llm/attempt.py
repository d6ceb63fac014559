"""The record of one attempt at one provider: a small value type that the call path builds and
the errors, spend and page code read. Its own module, so that none of them imports another to
get it (``call`` imports ``errors`` and ``spend``; both need only this)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from nyx_app.models.llm import AttemptStatus

__all__ = ["Attempt", "AttemptStatus"]


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt_no: int
    provider: str
    model: str
    status: AttemptStatus
    error_kind: str  # an ErrorKind value, "" on success
    error_message: str
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    latency_ms: int
