"""Where the current request came from: set by the edge that received it, read by ``record``.

A context variable, because the services that record do not otherwise know the request: the
HTTP middleware of the API and the login routes sets it per request, the session state per
Reflex event (each event runs in a task of its own, so one event's origin never leaks into
another's). Jobs leave it at its default (``system``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from nyx_app.integrations.user_agents import UNKNOWN, device_label


class Via(StrEnum):
    WEB = "web"
    API = "api"
    MCP = "mcp"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Origin:
    address: str = ""
    user_agent: str = ""
    via: Via = Via.SYSTEM
    token_id: str = ""  # the API token a call came with
    token_name: str = ""

    @property
    def device(self) -> str:
        """The browser and system for a browser; a program (curl, an SDK) by its own name."""
        if not self.user_agent:
            return ""
        label = device_label(self.user_agent)
        return self.user_agent[:120] if label == UNKNOWN else label

    def with_token(self, token_id: str, token_name: str) -> Origin:
        return replace(self, token_id=token_id, token_name=token_name)


_SYSTEM = Origin()
_ORIGIN: contextvars.ContextVar[Origin | None] = contextvars.ContextVar("nyx_origin", default=None)


def current_origin() -> Origin:
    return _ORIGIN.get() or _SYSTEM


def set_origin(origin: Origin) -> None:
    """For the rest of the current task (an event handler, a request)."""
    _ORIGIN.set(origin)


@contextlib.contextmanager
def use_origin(origin: Origin) -> Iterator[Origin]:
    reset = _ORIGIN.set(origin)
    try:
        yield origin
    finally:
        _ORIGIN.reset(reset)
