"""Invitation links: made by owners and admins, hashed at rest, used once, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Invitation, Role, User
from nyx_app.services import auth, invitations, members
from nyx_app.services.errors import InvalidInput, NotAllowed, NotFound
from nyx_app.services.invitations import InviteState
from tests.factories import PASSWORD, Account, TenantFactory


async def _invite(a: Account, role: str = "member", days: int = 7) -> invitations.NewInvitation:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await invitations.create_invitation(s, a.ctx, role, days)


async def _members(a: Account) -> dict[str, tuple[str, str]]:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return {m.email: (m.role, m.invited_by_name) for m in await members.list_members(s, a.ctx)}


async def test_a_link_is_used_once_by_a_signed_in_user_and_refused_after(tenants: TenantFactory) -> None:
    owner, guest, late = await tenants.create("Team"), await tenants.create("Guest's"), await tenants.create()
    made = await _invite(owner, "admin")
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        stored = (await s.exec(select(Invitation))).one()
    assert made.token not in stored.token_hash and len(stored.token_hash) == 64  # only the hash is kept

    seen = await invitations.preview(made.token)
    assert (seen.workspace, seen.role, seen.state, seen.problem) == ("Team", Role.ADMIN, InviteState.OPEN, "")
    assert seen.invited_by.startswith("User ")

    joined = await invitations.accept(made.token, guest.ctx.user_id)
    assert joined == owner.ctx.tenant_id
    assert (await _members(owner))[guest.email][0] == "admin"
    assert (await _members(owner))[guest.email][1] == seen.invited_by  # who invited them

    assert (await invitations.preview(made.token)).state is InviteState.USED
    with pytest.raises(InvalidInput, match="already been used"):
        await invitations.accept(made.token, late.ctx.user_id)
    assert late.email not in await _members(owner)


async def test_expired_revoked_altered_and_made_up_links_are_refused(tenants: TenantFactory) -> None:
    owner, guest = await tenants.create(), await tenants.create()
    expired, revoked, good = await _invite(owner), await _invite(owner), await _invite(owner, days=1)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await s.execute(
            update(Invitation)
            .where(Invitation.token_hash == invitations._hash(expired.token))  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await invitations.revoke(s, owner.ctx, revoked.invitation.id)
        listed = [i.id for i in await invitations.list_open(s, owner.ctx)]
    assert listed == [good.invitation.id]  # expired and revoked ones are not shown as open

    assert (await invitations.preview(expired.token)).state is InviteState.EXPIRED
    with pytest.raises(InvalidInput, match="expired"):
        await invitations.accept(expired.token, guest.ctx.user_id)
    tenant_part = good.token.split(".")[0]
    for bad in (
        revoked.token,
        good.token + "x",
        f"{tenant_part}.made-up",
        "nonsense",
        "",
        f"{guest.ctx.tenant_id.hex}.",
    ):
        with pytest.raises(NotFound, match="not valid"):
            await invitations.preview(bad)
        with pytest.raises(NotFound, match="not valid"):
            await invitations.accept(bad, guest.ctx.user_id)
    # The secret of one tenant's link under another tenant's id finds nothing either.
    moved = f"{guest.ctx.tenant_id.hex}.{good.token.split('.', 1)[1]}"
    with pytest.raises(NotFound):
        await invitations.preview(moved)


async def test_only_owners_and_admins_invite_and_only_owners_invite_owners(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    admin, member = await tenants.join(owner, Role.ADMIN), await tenants.join(owner)
    with pytest.raises(NotAllowed, match="add or remove members"):
        await _invite(member)
    with pytest.raises(NotAllowed, match="owners"):
        await _invite(admin, "owner")
    await _invite(admin, "admin")
    owner_link = await _invite(owner, "owner")
    with pytest.raises(NotAllowed):
        async with transaction(admin.ctx.tenant_id, admin.ctx.user_id) as s:
            await invitations.revoke(s, admin.ctx, owner_link.invitation.id)
    with pytest.raises(InvalidInput, match="Choose how long"):
        await _invite(owner, "member", days=3)
    with pytest.raises(InvalidInput, match="Choose a role"):
        await _invite(owner, "superuser")


async def test_an_existing_member_does_not_use_up_the_link(tenants: TenantFactory) -> None:
    owner, guest = await tenants.create(), await tenants.create()
    made = await _invite(owner)
    with pytest.raises(InvalidInput, match="already a member"):
        await invitations.accept(made.token, owner.ctx.user_id)
    await invitations.accept(made.token, guest.ctx.user_id)


async def test_a_new_person_registers_through_the_link_and_lands_in_the_workspace(tenants: TenantFactory) -> None:
    owner = await tenants.create("Crew")
    made = await _invite(owner)
    token = await invitations.register_and_accept(
        made.token, "newcomer@example.test", PASSWORD, "Newcomer", user_agent="Mozilla/5.0 Firefox/128.0"
    )
    ident = await auth.resolve(token)
    assert ident is not None and (ident.tenant_name, ident.role) == ("Crew", Role.MEMBER)
    assert [t.name for t in ident.tenants] == ["Crew"]  # no workspace of their own was made

    # The link is used up; a second newcomer gets no account at all.
    with pytest.raises(InvalidInput, match="already been used"):
        await invitations.register_and_accept(made.token, "second@example.test", PASSWORD, "Second")
    async with transaction() as s:
        assert (await s.exec(select(User).where(User.email == "second@example.test"))).first() is None
