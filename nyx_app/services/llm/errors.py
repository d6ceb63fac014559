"""Errors of the LLM layer, worded for the user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from nyx_app.integrations.llm import ErrorKind
from nyx_app.services.errors import ServiceError
from nyx_app.services.llm.attempt import Attempt

KIND_LABELS: dict[str, str] = {
    ErrorKind.CREDIT: "out of credit",
    ErrorKind.RATE_LIMIT: "rate-limited",
    ErrorKind.OVERLOADED: "overloaded",
    ErrorKind.AUTH: "key rejected",
    ErrorKind.BAD_REQUEST: "request refused",
    ErrorKind.CONTEXT_TOO_LONG: "prompt too long for this model",
    ErrorKind.TIMEOUT: "timed out",
    ErrorKind.NETWORK: "unreachable",
    ErrorKind.SERVER: "provider error",
    ErrorKind.BAD_RESPONSE: "garbled response",
    ErrorKind.INCOMPLETE_STREAM: "answer cut off",
    ErrorKind.EMPTY: "empty answer",
    ErrorKind.INVALID: "answer not usable",
    ErrorKind.BUDGET: "over budget",
    ErrorKind.ADDRESS_REFUSED: "address not allowed",
    ErrorKind.REDIRECT: "redirected",
}


class LlmUnavailable(ServiceError):
    """Every model in the chain failed. The message names each provider's failure."""

    def __init__(self, attempts: Sequence[Attempt], call_id: uuid.UUID | None = None) -> None:
        lines = [
            f"{a.provider}/{a.model}: {KIND_LABELS.get(a.error_kind, a.error_kind)} ({a.error_message})"
            for a in attempts
        ]
        summary = "; ".join(lines) if lines else "no provider with a key is configured"
        super().__init__(f"No model produced an answer. {summary}")
        self.attempts = list(attempts)
        self.call_id = call_id  # the llm_call rows of these attempts share it


class BudgetExceeded(ServiceError):
    """The call would take the tenant past its monthly budget; nothing was sent."""


class NoProvider(ServiceError):
    """No usable provider is configured for this tenant."""
