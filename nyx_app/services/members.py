"""Tenant membership: who belongs to the current tenant, and with which role."""

from __future__ import annotations

import uuid

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.tenancy import MemberPublic, Membership, Role, User
from nyx_app.services import auth
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.permissions import Action, require

ASSIGNABLE_ROLES = (Role.ADMIN, Role.MEMBER)


async def list_members(session: AsyncSession, ctx: TenantContext) -> list[MemberPublic]:
    rows = await session.exec(
        select(Membership.user_id, User.email, User.name, Membership.role)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.tenant_id == ctx.tenant_id)
        .order_by(col(User.email))
    )
    return [MemberPublic(user_id=u, email=e, name=n, role=r) for u, e, n, r in rows]


async def add_member(
    session: AsyncSession, ctx: TenantContext, email: str, initial_password: str, name: str, role: str
) -> MemberPublic:
    """Add a user to the tenant; a new e-mail gets an account with the initial password."""
    require(ctx, Action.MEMBERS_MANAGE)
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInput("Choose a role: admin or member.") from None
    if chosen not in ASSIGNABLE_ROLES:
        raise InvalidInput("Choose a role: admin or member.")
    email = auth.normalise_email(email)
    user = (await session.exec(select(User).where(User.email == email))).first()
    if user is None:
        user = await auth.create_user(session, email, initial_password, name or email.split("@")[0])
    elif (
        await session.exec(
            select(Membership).where(Membership.tenant_id == ctx.tenant_id, Membership.user_id == user.id)
        )
    ).first():
        raise InvalidInput(f"{email} is already a member of this workspace.")
    session.add(Membership(tenant_id=ctx.tenant_id, user_id=user.id, role=chosen.value))
    await session.flush()
    return MemberPublic(user_id=user.id, email=user.email, name=user.name, role=chosen.value)


async def remove_member(session: AsyncSession, ctx: TenantContext, user_id: uuid.UUID) -> None:
    """Takes effect on the removed user's very next event (sessions resolve membership each time)."""
    require(ctx, Action.MEMBERS_MANAGE)
    if user_id == ctx.user_id:
        raise InvalidInput("You cannot remove yourself.")
    member = (
        await session.exec(
            select(Membership).where(Membership.tenant_id == ctx.tenant_id, Membership.user_id == user_id)
        )
    ).first()
    if member is None:
        raise NotFound("Member not found.")
    if member.role == Role.OWNER.value:
        require(ctx, Action.OWNERS_MANAGE)
    await session.exec(delete(Membership).where(col(Membership.id) == member.id))
    await session.flush()
