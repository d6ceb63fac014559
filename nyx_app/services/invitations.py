"""Invitations: a link an owner or admin copies and sends; whoever opens it joins the workspace
with the role chosen, once, before it expires.

The link carries ``<tenant id>.<random secret>``; like a login token only its SHA-256 is stored,
so the database never holds a usable link. The tenant id in front is what lets a visitor who is
not (yet) a member read the invitation under row-level security: the transaction is scoped to
that tenant and reads exactly one row, by the hash of the whole token. A made-up or altered link
finds nothing and answers like any other unknown link.

Accepting takes the invitation row ``FOR UPDATE``, checks it is open, adds the membership
(remembering who invited) and marks the invitation used in the same transaction: two people
opening one link at the same moment cannot both join.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import set_context, transaction
from nyx_app.models.notification import NotificationKind
from nyx_app.models.tenancy import NAME_MAX, Invitation, Membership, Role, Tenant, User
from nyx_app.services import audit, auth, notifications
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.members import parse_role
from nyx_app.services.passwords import check_password_rules
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import parse_id, required_text

VALID_DAYS = (1, 7, 30)
DEFAULT_DAYS = 7
NOT_VALID = "This invitation link is not valid. Ask for a new one."
USED = "This invitation has already been used. Ask for a new one."
EXPIRED = "This invitation has expired. Ask for a new one."


class InviteState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class InvitationView:
    id: uuid.UUID
    role: Role
    created_at: datetime
    expires_at: datetime
    created_by_name: str


@dataclass(frozen=True, slots=True)
class NewInvitation:
    invitation: InvitationView
    token: str  # shown once, to be copied: only its hash is kept


@dataclass(frozen=True, slots=True)
class InvitePreview:
    """What the invitation page tells the person who opened the link."""

    tenant_id: uuid.UUID
    workspace: str
    role: Role
    invited_by: str
    expires_at: datetime
    state: InviteState

    @property
    def problem(self) -> str:
        return {InviteState.OPEN: "", InviteState.USED: USED, InviteState.EXPIRED: EXPIRED}[self.state]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tenant_of(token: str) -> uuid.UUID:
    """The tenant named at the front of a link (not trusted: the hash must still match a row)."""
    head, dot, secret = (token or "").partition(".")
    if not dot or not secret or len(token) > 200:
        raise NotFound(NOT_VALID)
    try:
        return uuid.UUID(hex=head)
    except ValueError:
        raise NotFound(NOT_VALID) from None


async def create_invitation(
    session: AsyncSession, ctx: TenantContext, role: str, days: int = DEFAULT_DAYS
) -> NewInvitation:
    require(ctx, Action.MEMBERS_MANAGE)
    chosen = parse_role(role)
    if chosen is Role.OWNER:
        require(ctx, Action.OWNERS_MANAGE)
    if days not in VALID_DAYS:
        raise InvalidInput(f"Choose how long the link works: {', '.join(map(str, VALID_DAYS))} days.")
    token = f"{ctx.tenant_id.hex}.{secrets.token_urlsafe(32)}"
    invitation = Invitation(
        tenant_id=ctx.tenant_id,
        token_hash=_hash(token),
        role=chosen.value,
        expires_at=utcnow() + timedelta(days=days),
        created_by=ctx.user_id,
    )
    session.add(invitation)
    await session.flush()
    await audit.record(
        session,
        ctx,
        audit.AuditAction.INVITATION_CREATED,
        object_type="invitation",
        object_id=invitation.id,
        object_label=f"{chosen.value} invitation",
        details={"role": chosen.value, "days": days},
    )
    inviter = await session.get(User, ctx.user_id)
    view = InvitationView(
        invitation.id, chosen, invitation.created_at, invitation.expires_at, inviter.name if inviter else ""
    )
    return NewInvitation(view, token)


async def list_open(session: AsyncSession, ctx: TenantContext) -> list[InvitationView]:
    """Invitations not used yet and not expired, newest first."""
    inviter = aliased(User)
    rows = await session.exec(
        select(Invitation, inviter.name)
        .outerjoin(inviter, col(inviter.id) == col(Invitation.created_by))
        .where(col(Invitation.accepted_at).is_(None), col(Invitation.expires_at) > func.now())
        .order_by(col(Invitation.created_at).desc())
    )
    return [InvitationView(i.id, Role(i.role), i.created_at, i.expires_at, name or "") for i, name in rows]


async def revoke(session: AsyncSession, ctx: TenantContext, invitation_id: str | uuid.UUID) -> None:
    """The link stops working at once."""
    require(ctx, Action.MEMBERS_MANAGE)
    invitation = await session.get(Invitation, parse_id(invitation_id, "Invitation"))
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("Invitation not found.")
    if invitation.role == Role.OWNER.value:
        require(ctx, Action.OWNERS_MANAGE)
    await audit.record(
        session,
        ctx,
        audit.AuditAction.INVITATION_REVOKED,
        object_type="invitation",
        object_id=invitation.id,
        object_label=f"{invitation.role} invitation",
    )
    await session.delete(invitation)
    await session.flush()


def _state(invitation: Invitation) -> InviteState:
    if invitation.accepted_at is not None:
        return InviteState.USED
    if invitation.expires_at <= utcnow():
        return InviteState.EXPIRED
    return InviteState.OPEN


async def _find(session: AsyncSession, token: str, *, lock: bool = False) -> Invitation:
    stmt = select(Invitation).where(Invitation.token_hash == _hash(token))
    invitation = (await session.exec(stmt.with_for_update() if lock else stmt)).first()
    if invitation is None:
        raise NotFound(NOT_VALID)
    return invitation


async def preview(token: str) -> InvitePreview:
    """For anyone holding the link, signed in or not. NotFound for a link that matches nothing."""
    tenant_id = tenant_of(token)
    async with transaction(tenant_id) as session:
        invitation = await _find(session, token)
        tenant = await session.get(Tenant, tenant_id)
        inviter = await session.get(User, invitation.created_by) if invitation.created_by else None
        if tenant is None:
            raise NotFound(NOT_VALID)
        return InvitePreview(
            tenant_id,
            tenant.name,
            Role(invitation.role),
            inviter.name if inviter else "",
            invitation.expires_at,
            _state(invitation),
        )


async def _accept_in(session: AsyncSession, token: str, user_id: uuid.UUID) -> Invitation:
    """Inside a transaction scoped to the invitation's tenant and the user."""
    invitation = await _find(session, token, lock=True)
    state = _state(invitation)
    if state is not InviteState.OPEN:
        raise InvalidInput(USED if state is InviteState.USED else EXPIRED)
    already = await session.exec(
        select(Membership.id).where(Membership.tenant_id == invitation.tenant_id, Membership.user_id == user_id)
    )
    if already.first() is not None:
        # Not used up: the link stays good for the person it was meant for.
        raise InvalidInput("You are already a member of this workspace.")
    session.add(
        Membership(
            tenant_id=invitation.tenant_id, user_id=user_id, role=invitation.role, invited_by=invitation.created_by
        )
    )
    invitation.accepted_at, invitation.accepted_by = utcnow(), user_id
    session.add(invitation)
    await session.flush()
    joined = TenantContext(invitation.tenant_id, user_id, Role(invitation.role))
    joiner = await session.get(User, user_id)
    await notifications.tell(
        session,
        invitation.tenant_id,
        invitation.created_by,
        NotificationKind.INVITATION_ACCEPTED,
        f"{joiner.name if joiner else 'Someone'} accepted your invitation and joined the workspace",
    )
    await audit.record(
        session,
        joined,
        audit.AuditAction.INVITATION_ACCEPTED,
        object_type="invitation",
        object_id=invitation.id,
        object_label=f"{invitation.role} invitation",
        details={"role": invitation.role, "invited_by": str(invitation.created_by or "")},
    )
    return invitation


async def accept(token: str, user_id: uuid.UUID) -> uuid.UUID:
    """A signed-in user joins; returns the tenant they joined (switch the login there)."""
    tenant_id = tenant_of(token)
    async with transaction(tenant_id, user_id) as session:
        await _accept_in(session, token, user_id)
    return tenant_id


async def register_and_accept(
    token: str, email: str, password: str, name: str, *, address: str | None = None, user_agent: str = ""
) -> str:
    """A new person: their account, the membership and a login in one transaction (no account is
    left behind when the link is refused). Returns the login's token."""
    tenant_id = tenant_of(token)
    name = required_text(name, "Name", NAME_MAX)
    check_password_rules(password, user_inputs=(email, name))
    await auth.check_registration(email, address)
    async with transaction() as session:
        user = await auth.create_user(session, email, password, name)
        await set_context(session, tenant_id, user.id)
        await _accept_in(session, token, user.id)
        return await auth.new_session(session, user.id, tenant_id, user_agent=user_agent)
