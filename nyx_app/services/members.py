"""Tenant membership: who belongs to the current tenant, with which role, since when and invited
by whom; changing roles, removing members and leaving.

A workspace always keeps at least one owner: every change that could take the last owner away
locks the tenant's owner rows first (``FOR UPDATE``), so two owners demoting each other at the
same moment cannot both succeed.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.tenancy import NAME_MAX, MemberPublic, Membership, Role, User
from nyx_app.services import audit, auth
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.passwords import check_password_rules
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import Problems, parse_id, required_text

ASSIGNABLE_ROLES = (Role.ADMIN, Role.MEMBER)
LAST_OWNER = "A workspace needs at least one owner. Make someone else an owner first."
ONLY_WORKSPACE = "This is your only workspace. Create another one first (in the workspace menu), then try again."


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput("Choose a role: owner, admin or member.") from None


async def list_members(session: AsyncSession, ctx: TenantContext) -> list[MemberPublic]:
    inviter = aliased(User)
    rows = await session.execute(
        sa_select(
            col(Membership.user_id),
            col(User.email),
            col(User.name),
            col(Membership.role),
            col(Membership.created_at),
            col(inviter.name),
        )
        .join(User, col(User.id) == col(Membership.user_id))
        .outerjoin(inviter, col(inviter.id) == col(Membership.invited_by))
        .where(col(Membership.tenant_id) == ctx.tenant_id)
        .order_by(col(User.email))
    )
    return [
        MemberPublic(user_id=u, email=e, name=n, role=r, joined_at=j, invited_by_name=i or "")
        for u, e, n, r, j, i in rows
    ]


async def add_member(
    session: AsyncSession, ctx: TenantContext, email: str, initial_password: str, name: str, role: str
) -> MemberPublic:
    """Add a user to the tenant; a new e-mail gets an account with the initial password.

    Admin commands and tests use this; people join through invitations (services/invitations.py).
    """
    require(ctx, Action.MEMBERS_MANAGE)
    problems = Problems()
    chosen = problems.check("role", _assignable, role)
    checked_email = problems.check("email", auth.normalise_email, email)
    user = None
    if checked_email:
        user = (await session.exec(select(User).where(User.email == checked_email))).first()
        if user is not None and await _membership(session, ctx, user.id) is not None:
            problems.add("email", f"{checked_email} is already a member of this workspace.")
        if user is None:
            problems.check("name", required_text, name or checked_email.split("@")[0], "Name", NAME_MAX)
            problems.check("password", check_password_rules, initial_password, user_inputs=(checked_email, name))
    problems.raise_if_any()
    assert checked_email is not None and chosen is not None
    if user is None:
        user = await auth.create_user(session, checked_email, initial_password, name or checked_email.split("@")[0])
    session.add(Membership(tenant_id=ctx.tenant_id, user_id=user.id, role=chosen.value))
    await session.flush()
    await audit.record(
        session,
        ctx,
        audit.AuditAction.MEMBER_ADDED,
        object_type="user",
        object_id=user.id,
        object_label=f"{user.name} <{user.email}>",
        details={"role": chosen.value},
    )
    return MemberPublic(user_id=user.id, email=user.email, name=user.name, role=chosen.value)


def _assignable(role: str) -> Role:
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInput("Choose a role: admin or member.") from None
    if chosen not in ASSIGNABLE_ROLES:
        raise InvalidInput("Choose a role: admin or member.")
    return chosen


async def _membership(session: AsyncSession, ctx: TenantContext, user_id: uuid.UUID) -> Membership | None:
    return (
        await session.exec(
            select(Membership).where(Membership.tenant_id == ctx.tenant_id, Membership.user_id == user_id)
        )
    ).first()


async def _member(session: AsyncSession, ctx: TenantContext, user_id: str | uuid.UUID) -> Membership:
    member = await _membership(session, ctx, parse_id(user_id, "Member"))
    if member is None:
        raise NotFound("Member not found.")
    return member


async def _owners_locked(session: AsyncSession, ctx: TenantContext) -> list[uuid.UUID]:
    """The tenant's owners, their rows locked until the transaction ends."""
    rows = await session.exec(
        select(Membership.user_id)
        .where(Membership.tenant_id == ctx.tenant_id, Membership.role == Role.OWNER.value)
        .with_for_update()
    )
    return list(rows)


async def workspace_count(session: AsyncSession, ctx: TenantContext) -> int:
    """How many workspaces the signed-in user belongs to (their own membership rows are visible
    to them in every tenant)."""
    return len((await session.exec(select(Membership.id).where(Membership.user_id == ctx.user_id))).all())


async def _keep_an_owner(session: AsyncSession, ctx: TenantContext, member: Membership) -> None:
    """Refuse when ``member`` is the tenant's only owner (call before demoting or removing them)."""
    if member.role == Role.OWNER.value and await _owners_locked(session, ctx) == [member.user_id]:
        raise InvalidInput(LAST_OWNER)


async def change_role(session: AsyncSession, ctx: TenantContext, user_id: str | uuid.UUID, role: str) -> MemberPublic:
    """Admins move people between admin and member; owners also make or unmake owners."""
    require(ctx, Action.ROLES_CHANGE)
    chosen = parse_role(role)
    member = await _member(session, ctx, user_id)
    if Role.OWNER in (chosen, Role(member.role)):
        require(ctx, Action.OWNERS_MANAGE)
    if chosen.value != member.role:
        if chosen is not Role.OWNER:
            await _keep_an_owner(session, ctx, member)
        before, member.role = member.role, chosen.value
        session.add(member)
        await session.flush()
        await _record_member(session, ctx, audit.AuditAction.ROLE_CHANGED, member, {"from": before, "to": chosen.value})
    user = await session.get(User, member.user_id)
    assert user is not None  # the membership's foreign key
    return MemberPublic(user_id=user.id, email=user.email, name=user.name, role=member.role)


async def remove_member(session: AsyncSession, ctx: TenantContext, user_id: uuid.UUID) -> None:
    """Takes effect on the removed user's very next event (sessions resolve membership each time)."""
    require(ctx, Action.MEMBERS_MANAGE)
    if user_id == ctx.user_id:
        raise InvalidInput("You cannot remove yourself. To leave the workspace, use Leave workspace.")
    member = await _member(session, ctx, user_id)
    if member.role == Role.OWNER.value:
        require(ctx, Action.OWNERS_MANAGE)
        await _keep_an_owner(session, ctx, member)
    await _record_member(session, ctx, audit.AuditAction.MEMBER_REMOVED, member, {"role": member.role})
    await session.exec(delete(Membership).where(col(Membership.id) == member.id))
    await session.flush()


async def _record_member(
    session: AsyncSession, ctx: TenantContext, action: audit.AuditAction, member: Membership, details: dict[str, str]
) -> None:
    user = await session.get(User, member.user_id)
    label = f"{user.name} <{user.email}>" if user else ""
    await audit.record(
        session, ctx, action, object_type="user", object_id=member.user_id, object_label=label, details=details
    )


async def leave(session: AsyncSession, ctx: TenantContext) -> None:
    """The signed-in user leaves the current tenant (not its last owner). Their login moves to
    another of their workspaces on its next event."""
    member = await _member(session, ctx, ctx.user_id)
    await _keep_an_owner(session, ctx, member)
    # Without any workspace a login has nowhere to go.
    if await workspace_count(session, ctx) < 2:
        raise InvalidInput(ONLY_WORKSPACE)
    await _record_member(session, ctx, audit.AuditAction.MEMBER_LEFT, member, {"role": member.role})
    await session.exec(delete(Membership).where(col(Membership.id) == member.id))
    await session.flush()
