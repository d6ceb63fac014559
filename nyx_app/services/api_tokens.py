"""API tokens: made with a name, scopes and an optional expiry, shown once, stored as a hash.

A token reads ``nyx_<tenant id, 32 hex>_<secret>``. The tenant in front is what lets the call be
looked up under row-level security (the transaction is scoped to that tenant and finds exactly
one row by the hash of the whole token); a made-up or altered token finds nothing, and every
kind of bad token (malformed, unknown, revoked, expired, its member gone) gets the same answer.

A token acts for the member who made it, with that member's role read on every call: it never
grants more than the member may do now, and a removed member's tokens stop at once. Its scopes
narrow that further (``permissions.Scope``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.api import ADDRESS_MAX, TOKEN_NAME_MAX, ApiToken, TokenKind
from nyx_app.models.tenancy import Membership, Role, User
from nyx_app.services import audit
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotAllowed, NotFound
from nyx_app.services.permissions import Action, Scope, require, role_may, scope_of
from nyx_app.services.validation import Problems, parse_id, required_text

PREFIX = "nyx_"
_TOKEN = re.compile(r"nyx_([0-9a-f]{32})_([A-Za-z0-9_-]{43})")
EXPIRY_DAYS = (7, 30, 90, 365)  # or never (None)
LAST_USE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TokenView:
    id: uuid.UUID
    name: str
    kind: TokenKind
    scopes: tuple[Scope, ...]
    hint: str
    owner_name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_address: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


@dataclass(frozen=True, slots=True)
class NewToken:
    view: TokenView
    token: str  # shown once: only its hash is kept


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling with a token: the member's context (role now, the token's scopes), and the token."""

    ctx: TenantContext
    token_id: uuid.UUID
    token_name: str

    def has(self, scope: Scope) -> bool:
        return self.ctx.scopes is not None and scope.value in self.ctx.scopes


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(raw: list[str] | tuple[str, ...]) -> tuple[Scope, ...]:
    chosen: list[Scope] = []
    for item in raw:
        try:
            scope = Scope(str(item).strip().lower())
        except ValueError:
            raise InvalidInput(f"Unknown scope {item!r}. Choose from: read, write, runs, admin.") from None
        if scope not in chosen:
            chosen.append(scope)
    if not chosen:
        raise InvalidInput("Choose at least one scope (read, write, runs, admin).")
    return tuple(s for s in Scope if s in chosen)


def _expiry(days: int | None) -> datetime | None:
    if days is None or days == 0:
        return None
    if days not in EXPIRY_DAYS:
        raise InvalidInput(f"Choose when the token expires: after {', '.join(map(str, EXPIRY_DAYS))} days, or never.")
    return utcnow() + timedelta(days=days)


def _widest_scopes(role: Role) -> set[Scope]:
    """The scopes whose actions the role may do at all (read always)."""
    return {Scope.READ} | {scope_of(a) for a in Action if role_may(role, a)}


def _view(token: ApiToken, owner_name: str) -> TokenView:
    return TokenView(
        token.id,
        token.name,
        TokenKind(token.kind),
        tuple(Scope(s) for s in token.scopes),
        token.hint,
        owner_name,
        token.created_at,
        token.expires_at,
        token.revoked_at,
        token.last_used_at,
        token.last_used_address,
    )


async def create_token(
    session: AsyncSession,
    ctx: TenantContext,
    *,
    name: str,
    scopes: list[str] | tuple[str, ...],
    expires_in_days: int | None = None,
    kind: TokenKind = TokenKind.PERSONAL,
) -> NewToken:
    """A token acting for the signed-in member. Workspace tokens are for owners and admins; a scope
    the member's role could never use is refused (the role is checked again on every call)."""
    if ctx.scopes is not None:
        raise NotAllowed("API tokens are made in the app (Account or workspace settings), not with a token.")
    if kind is TokenKind.WORKSPACE:
        require(ctx, Action.WORKSPACE_TOKENS_MANAGE)
    problems = Problems()
    checked_name = problems.check("name", required_text, name, "Token name", TOKEN_NAME_MAX)
    chosen = problems.check("scopes", parse_scopes, list(scopes))
    expires_at = problems.check("expires", _expiry, expires_in_days)
    if chosen:
        beyond = [s.value for s in chosen if s not in _widest_scopes(ctx.role)]
        if beyond:
            problems.add("scopes", f"Your role ({ctx.role.value}) cannot use the {', '.join(beyond)} scope.")
    problems.raise_if_any()
    assert checked_name is not None and chosen is not None
    secret = secrets.token_urlsafe(32)
    token = f"{PREFIX}{ctx.tenant_id.hex}_{secret}"
    row = ApiToken(
        tenant_id=ctx.tenant_id,
        user_id=ctx.user_id,
        kind=kind.value,
        name=checked_name,
        scopes=[s.value for s in chosen],
        token_hash=token_hash(token),
        hint=secret[-4:],
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        ctx,
        audit.AuditAction.TOKEN_CREATED,
        object_type="api_token",
        object_id=row.id,
        object_label=checked_name,
        details={
            "kind": kind.value,
            "scopes": row.scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    owner = await session.get(User, ctx.user_id)
    return NewToken(_view(row, owner.name if owner else ""), token)


async def list_tokens(session: AsyncSession, ctx: TenantContext, kind: TokenKind) -> list[TokenView]:
    """Personal: the signed-in member's own. Workspace: every workspace token (owners and admins)."""
    if kind is TokenKind.WORKSPACE:
        require(ctx, Action.WORKSPACE_TOKENS_MANAGE)
    owner = aliased(User)
    stmt = (
        select(ApiToken, owner.name)
        .join(owner, col(owner.id) == col(ApiToken.user_id))
        .where(ApiToken.kind == kind.value)
        .order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.created_at).desc())
    )
    if kind is TokenKind.PERSONAL:
        stmt = stmt.where(ApiToken.user_id == ctx.user_id)
    return [_view(t, n) for t, n in await session.exec(stmt)]


async def revoke_token(session: AsyncSession, ctx: TenantContext, token_id: str | uuid.UUID) -> TokenView:
    """Stops working on its very next call. Personal tokens by their member, workspace tokens by
    owners and admins; anyone else's id is "not found"."""
    row = await session.get(ApiToken, parse_id(token_id, "Token"))
    if row is None or (row.kind == TokenKind.PERSONAL.value and row.user_id != ctx.user_id):
        raise NotFound("Token not found.")
    if row.kind == TokenKind.WORKSPACE.value:
        require(ctx, Action.WORKSPACE_TOKENS_MANAGE)
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = utcnow(), ctx.user_id
        session.add(row)
        await session.flush()
        await audit.record(
            session,
            ctx,
            audit.AuditAction.TOKEN_REVOKED,
            object_type="api_token",
            object_id=row.id,
            object_label=row.name,
        )
    owner = await session.get(User, row.user_id)
    return _view(row, owner.name if owner else "")


def tenant_of(token: str) -> uuid.UUID | None:
    """The tenant named in a well-formed token (not trusted: the hash must still match a row)."""
    match = _TOKEN.fullmatch(token or "")
    return uuid.UUID(hex=match.group(1)) if match else None


async def authenticate_in(session: AsyncSession, token: str, address: str) -> Caller | None:
    """Inside a transaction scoped to the token's tenant: the caller, or None for any bad token.
    Remembers the last use (at most once a minute, or at once from a new address)."""
    now = utcnow()
    found = (
        await session.exec(
            select(ApiToken, Membership.role)
            .join(
                Membership,
                (col(Membership.tenant_id) == col(ApiToken.tenant_id))
                & (col(Membership.user_id) == col(ApiToken.user_id)),
            )
            .where(
                ApiToken.token_hash == token_hash(token),
                col(ApiToken.revoked_at).is_(None),
                (col(ApiToken.expires_at).is_(None)) | (col(ApiToken.expires_at) > func.now()),
            )
        )
    ).first()
    if found is None:
        return None
    row, role = found
    address = address[:ADDRESS_MAX]
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_EVERY or row.last_used_address != address:
        await session.execute(
            update(ApiToken).where(col(ApiToken.id) == row.id).values(last_used_at=now, last_used_address=address)
        )
    ctx = TenantContext(row.tenant_id, row.user_id, Role(role), scopes=frozenset(row.scopes))
    return Caller(ctx, row.id, row.name)


async def authenticate(token: str, address: str) -> Caller | None:
    """``authenticate_in`` in a transaction of its own."""
    tenant_id = tenant_of(token)
    if tenant_id is None:
        return None
    async with transaction(tenant_id) as session:
        return await authenticate_in(session, token, address)
