"""Named errors services raise; pages show their message to the user as it is."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: the message is written for the user and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """The thing does not exist for this tenant (another tenant's id answers the same)."""


class InvalidInput(ServiceError):
    """The user's input cannot be accepted; the message says why."""


class InvalidFields(InvalidInput):
    """Several fields of one form are wrong at once; ``fields`` maps each field's name to its
    message, so a page can show every message under its field (``validation.Problems``)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(" ".join(fields.values()))
        self.fields = dict(fields)


class Conflict(ServiceError):
    """Someone else changed or took it first."""


class NotAllowed(ServiceError):
    """The user's role does not permit this."""


class AuthError(ServiceError):
    """Login failed or the session is no longer valid."""
