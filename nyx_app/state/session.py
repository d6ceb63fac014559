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
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.api.cookies import session_token
from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services import audit, auth, workspaces
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import health
from nyx_app.services.errors import InvalidFields, ServiceError
from nyx_app.services.validation import parse_id
from nyx_app.state import toasts

SESSION_ENDED = "Your session has ended. Please log in again."
T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S")
R = TypeVar("R")
Handler = Callable[Concatenate[S, P], Awaitable[R]]
# The workspace switcher's last item: not a workspace, it opens "New workspace".
NEW_WORKSPACE = "__new__"


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


@overload
def user_action(handler: Handler[S, P, R], /) -> Handler[S, P, R | None]: ...
@overload
def user_action(*, form: str = "") -> Callable[[Handler[S, P, R]], Handler[S, P, R | None]]: ...


def user_action(
    handler: Handler[S, P, R] | None = None, /, *, form: str = ""
) -> Handler[S, P, R | None] | Callable[[Handler[S, P, R]], Handler[S, P, R | None]]:
    """Turn the outcomes of a page event into what the user sees: a signed-out user goes to the
    login page; a refused action shows its message in ``error``; success clears it.

    ``@user_action(form="new-project")`` names the form the event submits: then a refusal of
    several fields at once (``InvalidFields``) lands in ``field_errors`` as ``"new-project.name"``
    and so on, which ``components.fields.field`` shows under each field, and ``error_form``
    tells ``form_error`` where the form-level message belongs.

    The last line of defence for input the services did not check: a NUL in any argument is
    refused before the handler runs (PostgreSQL cannot store it), and an unexpected exception is
    logged once and shown in words instead of Reflex's "Contact the website administrator"."""

    def decorate(inner: Handler[S, P, R]) -> Handler[S, P, R | None]:
        @functools.wraps(inner)
        async def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R | None:
            page: Any = self
            page.field_errors, page.error_form = {}, form
            if _has_nul(args) or _has_nul(kwargs):
                given = [*args, *kwargs.values()]  # Reflex passes an event's payload by keyword
                fields = [k for a in given if isinstance(a, dict) for k, v in a.items() if _has_nul(v)]
                if form and fields and not _has_nul([a for a in given if not isinstance(a, dict)]):
                    # Said at the field that holds it.
                    page.field_errors, page.error = {f"{form}.{k}": NUL_REFUSED for k in fields}, ""
                else:
                    page.error = NUL_REFUSED
                return None
            try:
                result = await inner(self, *args, **kwargs)
            except SignedOut:
                return page.to_login()  # type: ignore[no-any-return]
            except InvalidFields as exc:
                if form:
                    page.field_errors = {f"{form}.{name}": message for name, message in exc.fields.items()}
                    page.error = ""
                else:
                    page.error = exc.message
                return None
            except ServiceError as exc:
                page.error = exc.message
                return None
            except Exception:
                _log.exception("unexpected error in %s", getattr(inner, "__qualname__", inner))
                page.error = UNEXPECTED
                return None
            page.error = ""
            return result

        return wrapper

    return decorate(handler) if handler is not None else decorate


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
    # The message of the last refused action on the current page, and the form it came from
    # ("" for page-level actions); per-field messages of that form, keyed "form.field".
    error: str = ""
    error_form: str = ""
    field_errors: dict[str, str] = {}
    # Owners and admins are told when no job worker is alive (runs then wait): since when, or "".
    no_worker_since: str = ""
    # The phone navigation's fold-out, and the "New workspace" dialog.
    nav_open: bool = False
    new_workspace_open: bool = False

    def _session_token(self) -> str:
        """The token from this tab's websocket handshake (a method, never a state var)."""
        return session_token(self.router.headers.cookie)

    def to_login(self) -> rx.event.EventSpec:
        """To the login page, which comes back to this page afterwards (a deep link survives
        logging in; ``routes.safe_next`` keeps it to a path of this app)."""
        url = self.router.url
        here = url.path + (f"?{url.query}" if url.query else "")
        return rx.redirect(routes.login_url(here))

    async def _context(self) -> TenantContext | None:
        """Resolve the session now; refresh what the navigation shows."""
        # Where this event came from, for the audit log (each event runs in a task of its own).
        audit.set_origin(audit.Origin(self.router.session.client_ip, self.router.headers.user_agent, audit.Via.WEB))
        ident = await auth.resolve(self._session_token())
        if ident is None:
            self.user_name = self.user_email = self.tenant_id = self.tenant_name = self.role = ""
            self.can_manage_members = False
            self.tenants = []
            return None
        self.user_name, self.user_email = ident.name, ident.email
        self.tenant_id, self.tenant_name, self.role = str(ident.tenant_id), ident.tenant_name, ident.role.value
        ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
        self.can_manage_members = ctx.can_manage_members
        since = health.no_worker_since() if ident.role in (Role.OWNER, Role.ADMIN) else None
        self.no_worker_since = f"{since:%Y-%m-%d %H:%M} UTC" if since is not None else ""
        # Read by resolve in the same transaction: the switcher is always current, at no cost.
        self.tenants = [TenantOption(id=str(c.tenant_id), name=c.name, role=c.role.value) for c in ident.tenants]
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
        """A page's on_load in one go: the session resolved once (which also reads the
        navigation's workspaces), then everything the page shows in one transaction."""
        return await self._in_tenant(read)

    @rx.event
    @user_action
    async def guard(self):
        """No valid session, no page. Pages whose own on_load reads through ``_in_tenant`` need
        not add this (that read resolves the session once already)."""
        await self._require()

    @rx.event
    async def refresh(self):
        """on_load of pages open to everyone (not found, invitations): show the navigation of a
        signed-in visitor, without sending anyone to the login page."""
        self.nav_open = False
        await self._context()

    @rx.event
    def close_nav(self):
        if self.nav_open:
            self.nav_open = False

    @rx.event
    def toggle_nav(self):
        self.nav_open = not self.nav_open

    @rx.event
    def set_nav_open(self, value: bool):
        self.nav_open = value

    @rx.event
    async def switch_tenant(self, tenant_id: str):
        if tenant_id == NEW_WORKSPACE:
            self.new_workspace_open, self.field_errors = True, {}
            return None
        try:
            await auth.switch_tenant(self._session_token(), parse_id(tenant_id, "Workspace"))
        except ServiceError as exc:
            return toasts.failed(exc.message)
        return rx.redirect(routes.DASHBOARD)

    @rx.event
    def set_new_workspace_open(self, value: bool):
        self.new_workspace_open = value

    @rx.event
    @user_action(form="new-workspace")
    async def create_workspace(self, form: dict[str, str]):
        await self._require()
        await workspaces.create_workspace(self._session_token(), form.get("name", ""))
        self.new_workspace_open = False
        return [rx.redirect(routes.DASHBOARD), toasts.done("Workspace created. You are its owner.")]
