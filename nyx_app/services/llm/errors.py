"""Errors of the LLM layer, worded for the user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nyx_app.services.errors import ServiceError

if TYPE_CHECKING:
    from nyx_app.services.llm.call import Attempt


class LlmUnavailable(ServiceError):
    """Every model in the chain failed. The message names each provider's failure."""

    def __init__(self, attempts: Sequence[Attempt]) -> None:
        lines = [f"{a.provider}/{a.model}: {a.error_kind} — {a.error_message}" for a in attempts]
        summary = "; ".join(lines) if lines else "no provider with a key is configured"
        super().__init__(f"No model produced an answer. {summary}")
        self.attempts = list(attempts)


class BudgetExceeded(ServiceError):
    """The call would take the tenant past its monthly budget; nothing was sent."""


class NoProvider(ServiceError):
    """No usable provider is configured for this tenant."""
