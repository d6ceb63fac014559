"""The login, read again from the database on every event.

The browser holds only a random token, in an HttpOnly cookie that the login route sets
(api/auth_routes.py): no page script can read it, and it is never in state or in a websocket
frame. The websocket handshake carries the cookie; Reflex hands the handshake's headers to every
event as ``self.router.headers`` and leaves the ``cookie`` field out of what it sends to the
browser. Who the user is and which tenant they work in come from the server-side session row,
so logging out, a password change elsewhere or removal from a tenant takes effect on the very
next event. A new cookie is seen after a full page load (the forms post, so they navigate).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.api.cookies import session_token
from nyx_app.db.session import transaction
from nyx_app.services import auth
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import ServiceError
from nyx_app.services.validation import parse_id

SESSION_ENDED = "Your session has ended. Please log in again."
T = TypeVar("T")


class SignedOut(Exception):
    """The session is gone (logged out elsewhere, expired, or removed from every tenant)."""


NUL_REFUSED = (
    "Your input contains a NUL character (U+0000), which cannot be saved. Remove it and try again; nothing was changed."
)
UNEXPECTED = "Something went wrong and nothing was saved. Try again; if it keeps happening, tell your workspace owner."
_log = logging.getLogger(__name__)


def _has_nul(value: object) -> bool:
    """A NUL anywhere in an event's arguments (form dicts and lists included)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def user_action(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Turn the outcomes of a page event into what the user sees: a signed-out user goes to the
    login page; a refused action shows its message in ``error``; success clears it.

    The last line of defence for input the services did not check: a NUL in any argument is
    refused before the handler runs (PostgreSQL cannot store it), and an unexpected exception is
    logged once and shown in words instead of Reflex's "Contact the website administrator"."""

    @functools.wraps(handler)
    async def wrapper(self: AuthState, *args: Any, **kwargs: Any) -> Any:
        if _has_nul(args) or _has_nul(kwargs):
            self.error = NUL_REFUSED
            return None
        try:
            result = await handler(self, *args, **kwargs)
        except SignedOut:
            return rx.redirect(routes.LOGIN)
        except ServiceError as exc:
            self.error = exc.message
            return None
        except Exception:
            _log.exception("unexpected error in %s", getattr(handler, "__qualname__", handler))
            self.error = UNEXPECTED
            return None
        self.error = ""
        return result

    return wrapper


@dataclasses.dataclass
class TenantOption:
    id: str
    name: str
    role: str


class AuthState(rx.State):
    # What the navigation shows; never used to decide anything.
    user_name: str = ""
    user_email: str = ""
    tenant_id: str = ""
    tenant_name: str = ""
    role: str = ""
    can_manage_members: bool = False
    tenants: list[TenantOption] = []
    # The message of the last refused action on the current page.
    error: str = ""

    def _session_token(self) -> str:
        """The token from this tab's websocket handshake (a method, never a state var)."""
        return session_token(self.router.headers.cookie)

    async def _context(self) -> TenantContext | None:
        """Resolve the session now; refresh what the navigation shows."""
        ident = await auth.resolve(self._session_token())
        if ident is None:
            self.user_name = self.user_email = self.tenant_id = self.tenant_name = self.role = ""
            self.can_manage_members = False
            self.tenants = []
            return None
        moved = self.tenant_id not in ("", str(ident.tenant_id))
        self.user_name, self.user_email = ident.name, ident.email
        self.tenant_id, self.tenant_name, self.role = str(ident.tenant_id), ident.tenant_name, ident.role.value
        ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
        self.can_manage_members = ctx.can_manage_members
        if moved:  # switched elsewhere, or removed from the tenant this page was showing
            await self._load_tenants(ctx)
        return ctx

    async def _require(self) -> TenantContext:
        ctx = await self._context()
        if ctx is None:
            raise SignedOut
        return ctx

    async def _in_tenant(self, action: Callable[[AsyncSession, TenantContext], Awaitable[T]]) -> T:
        """One service call in one tenant-scoped transaction (committed when it returns)."""
        ctx = await self._require()
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            return await action(session, ctx)

    async def _read_page(self, read: Callable[[AsyncSession, TenantContext], Awaitable[T]]) -> T:
        """A page's on_load in one go: the session resolved once, then the navigation's workspaces
        and everything the page shows read in one transaction. A page whose load uses this needs
        no ``guard`` before it (nyx_app.py)."""
        ctx = await self._require()
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            choices = await auth.memberships(session, ctx.user_id)
            result = await read(session, ctx)
        self.tenants = [TenantOption(id=str(c.tenant_id), name=c.name, role=c.role.value) for c in choices]
        return result

    async def _load_tenants(self, ctx: TenantContext) -> None:
        choices = await auth.tenants_of(ctx.user_id)
        self.tenants = [TenantOption(id=str(c.tenant_id), name=c.name, role=c.role.value) for c in choices]

    @rx.event
    @user_action
    async def guard(self):
        """on_load of every signed-in page: no valid session, no page."""
        await self._load_tenants(await self._require())

    @rx.event
    async def switch_tenant(self, tenant_id: str):
        try:
            await auth.switch_tenant(self._session_token(), parse_id(tenant_id, "Workspace"))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return rx.redirect(routes.DASHBOARD)
