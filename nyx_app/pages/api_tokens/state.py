"""State of the token lists: read, make (shown once), revoke. Rules are in services.api_tokens."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.api import TokenKind
from nyx_app.services import api_tokens
from nyx_app.services.api_tokens import TokenView
from nyx_app.services.context import TenantContext
from nyx_app.services.permissions import Action, Scope
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

NEVER = "never"
EXPIRY_CHOICES = [NEVER, *[str(d) for d in api_tokens.EXPIRY_DAYS]]


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    seconds = (datetime.now(UTC) - moment).total_seconds()
    if 0 <= seconds < 120:
        return "just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)} minutes ago"
    return f"{moment:%d %b %Y %H:%M} UTC"


@dataclasses.dataclass
class TokenRow:
    id: str
    name: str
    scopes: str
    hint: str
    owner: str
    created: str
    expires: str
    last_used: str
    active: bool
    state: str


def _row(t: TokenView) -> TokenRow:
    if t.revoked_at is not None:
        state = "revoked"
    elif not t.active:
        state = "expired"
    else:
        state = "active"
    return TokenRow(
        id=str(t.id),
        name=t.name,
        scopes=", ".join(s.value for s in t.scopes),
        hint=f"nyx_…{t.hint}",
        owner=t.owner_name,
        created=f"{t.created_at:%d %b %Y}",
        expires=f"{t.expires_at:%d %b %Y}" if t.expires_at else "never",
        last_used=(f"{_when(t.last_used_at)} from {t.last_used_address}" if t.last_used_at else "not used yet"),
        active=t.active,
        state=state,
    )


async def _lists(session: AsyncSession, ctx: TenantContext) -> tuple[list[TokenView], list[TokenView]]:
    personal = await api_tokens.list_tokens(session, ctx, TokenKind.PERSONAL)
    shared = (
        await api_tokens.list_tokens(session, ctx, TokenKind.WORKSPACE)
        if ctx.may(Action.WORKSPACE_TOKENS_MANAGE)
        else []
    )
    return personal, shared


def _scopes(form: dict[str, str]) -> list[str]:
    return [s.value for s in Scope if form.get(f"scope_{s.value}") in ("on", "true", s.value)]


def _days(form: dict[str, str]) -> int | None:
    raw = form.get("expires", NEVER)
    return None if raw in ("", NEVER) else int(raw) if raw.isdigit() else -1


class TokensState(AuthState):
    personal: list[TokenRow] = []
    workspace: list[TokenRow] = []
    loaded: bool = False
    new_token: str = ""  # shown once after making a token: only its hash is kept
    new_token_name: str = ""
    made: int = 0  # bumped after a make: the form is keyed by it and comes back empty

    async def _reload(self) -> None:
        personal, shared = await self._in_tenant(_lists)
        self.personal = [_row(t) for t in personal]
        self.workspace = [_row(t) for t in shared]
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        self.new_token = self.new_token_name = ""
        await self._reload()

    async def _make(self, form: dict[str, str], kind: TokenKind) -> None:
        scopes, days = _scopes(form), _days(form)
        made = await self._in_tenant(
            lambda s, c: api_tokens.create_token(
                s, c, name=form.get("name", ""), scopes=scopes, expires_in_days=days, kind=kind
            )
        )
        self.new_token, self.new_token_name = made.token, made.view.name
        self.made += 1
        await self._reload()

    @rx.event
    @user_action(form="personal-token")
    async def make_personal(self, form: dict[str, str]):
        await self._make(form, TokenKind.PERSONAL)
        return toasts.done("Token made. Copy it now: it is shown only once.")

    @rx.event
    @user_action(form="workspace-token")
    async def make_workspace(self, form: dict[str, str]):
        await self._make(form, TokenKind.WORKSPACE)
        return toasts.done("Workspace token made. Copy it now: it is shown only once.")

    @rx.event
    @user_action
    async def revoke(self, token_id: str):
        revoked = await self._in_tenant(lambda s, c: api_tokens.revoke_token(s, c, token_id))
        await self._reload()
        return toasts.done(f"{revoked.name} is revoked: it stops working on its next call.")

    @rx.event
    def forget_new_token(self):
        self.new_token = self.new_token_name = ""
