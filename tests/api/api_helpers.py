"""A client of the public API in-process, and tokens made the way the app makes them."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.models.api import TokenKind
from nyx_app.services import api_tokens
from tests.factories import Account

ALL_SCOPES = ["read", "write", "runs", "admin"]


async def token_for(acct: Account, scopes: list[str] | None = None, kind: TokenKind = TokenKind.PERSONAL) -> str:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        made = await api_tokens.create_token(s, acct.ctx, name="test token", scopes=scopes or ALL_SCOPES, kind=kind)
    return made.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
