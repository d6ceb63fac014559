import pytest

from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services import auth, members, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotAllowed
from tests.factories import PASSWORD, TenantFactory


async def test_owner_adds_new_and_existing_users_who_then_switch_tenants(tenants: TenantFactory) -> None:
    owner, other = await tenants.create("Owner's"), await tenants.create("Other's")
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await members.add_member(s, owner.ctx, "new@example.test", "initial-pw-1", "New", "admin")
        await members.add_member(s, owner.ctx, other.email, "ignored", "", "member")
        listed = {(m.email, m.role) for m in await members.list_members(s, owner.ctx)}
    assert listed == {(owner.email, "owner"), ("new@example.test", "admin"), (other.email, "member")}

    token = await auth.login("new@example.test", "initial-pw-1", address="192.0.2.1")
    ident = await auth.resolve(token)
    assert ident is not None and ident.tenant_name == "Owner's" and ident.role is Role.ADMIN

    choices = await auth.tenants_of(other.ctx.user_id)
    assert sorted(c.name for c in choices) == ["Other's", "Owner's"]
    await auth.switch_tenant(other.token, owner.ctx.tenant_id)
    switched = await auth.resolve(other.token)
    assert switched is not None and switched.tenant_id == owner.ctx.tenant_id and switched.role is Role.MEMBER


async def test_removal_takes_effect_on_the_next_resolve(tenants: TenantFactory) -> None:
    owner, other = await tenants.create("Owner's"), await tenants.create("Other's")
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await members.add_member(s, owner.ctx, other.email, "", "", "member")
        await projects.create_project(s, owner.ctx, "Owner's project")
    await auth.switch_tenant(other.token, owner.ctx.tenant_id)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await members.remove_member(s, owner.ctx, other.ctx.user_id)
    ident = await auth.resolve(other.token)
    assert ident is not None and ident.tenant_id == other.ctx.tenant_id  # back in their own tenant only
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        assert await projects.list_projects(s, ctx) == []


async def test_members_cannot_manage_members_and_roles_are_checked(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        added = await members.add_member(s, owner.ctx, "m@example.test", PASSWORD, "M", "member")
        with pytest.raises(InvalidInput, match="already a member"):
            await members.add_member(s, owner.ctx, "m@example.test", PASSWORD, "M", "member")
        with pytest.raises(InvalidInput, match="Choose a role"):
            await members.add_member(s, owner.ctx, "x@example.test", PASSWORD, "X", "owner")
        with pytest.raises(InvalidInput, match="cannot remove yourself"):
            await members.remove_member(s, owner.ctx, owner.ctx.user_id)
    member_ctx = TenantContext(owner.ctx.tenant_id, added.user_id, Role.MEMBER)
    async with transaction(member_ctx.tenant_id, member_ctx.user_id) as s:
        with pytest.raises(NotAllowed):
            await members.add_member(s, member_ctx, "y@example.test", PASSWORD, "Y", "member")
        with pytest.raises(NotAllowed):
            await members.remove_member(s, member_ctx, owner.ctx.user_id)


async def _role_change(actor, user_id, role: str):
    async with transaction(actor.ctx.tenant_id, actor.ctx.user_id) as s:
        return await members.change_role(s, actor.ctx, user_id, role)


async def _roles(owner) -> dict[str, str]:
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        return {m.email: m.role for m in await members.list_members(s, owner.ctx)}


async def test_roles_change_within_what_each_role_may_and_a_workspace_keeps_an_owner(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    admin, member = await tenants.join(owner, Role.ADMIN), await tenants.join(owner)
    await _role_change(admin, member.ctx.user_id, "admin")
    await _role_change(admin, member.ctx.user_id, "member")
    with pytest.raises(NotAllowed, match="owners"):
        await _role_change(admin, member.ctx.user_id, "owner")
    with pytest.raises(NotAllowed, match="owners"):
        await _role_change(admin, owner.ctx.user_id, "member")
    with pytest.raises(NotAllowed, match="change members' roles"):
        await _role_change(member, admin.ctx.user_id, "member")
    with pytest.raises(InvalidInput, match="at least one owner"):
        await _role_change(owner, owner.ctx.user_id, "admin")

    await _role_change(owner, admin.ctx.user_id, "owner")  # two owners now
    await _role_change(owner, owner.ctx.user_id, "member")  # so the first may step down
    assert await _roles(admin) == {owner.email: "member", admin.email: "owner", member.email: "member"}
    ident = await auth.resolve(owner.token)
    assert ident is not None and ident.role is Role.MEMBER  # felt on the next event


async def test_members_list_shows_when_each_joined(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    await tenants.join(owner)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        listed = await members.list_members(s, owner.ctx)
    assert all(m.joined_at is not None for m in listed)
    assert [m.invited_by_name for m in listed] == ["", ""]  # added directly, not invited


async def test_leaving_a_workspace(tenants: TenantFactory) -> None:
    owner = await tenants.create("Shared")
    member = await tenants.join(owner)
    with pytest.raises(InvalidInput, match="only workspace"):  # the member has no other workspace
        async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
            await members.leave(s, member.ctx)
    await tenants.create()  # unrelated
    other = await tenants.create("Elsewhere")
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await members.add_member(s, owner.ctx, other.email, "", "", "member")
    await auth.switch_tenant(other.token, owner.ctx.tenant_id)
    async with transaction(owner.ctx.tenant_id, other.ctx.user_id) as s:
        await members.leave(s, TenantContext(owner.ctx.tenant_id, other.ctx.user_id, Role.MEMBER))
    ident = await auth.resolve(other.token)
    assert ident is not None and ident.tenant_name == "Elsewhere"
    assert other.email not in await _roles(owner)
    with pytest.raises(InvalidInput, match="at least one owner"):
        async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
            await members.leave(s, owner.ctx)


async def test_adding_a_member_reports_every_bad_field(tenants: TenantFactory) -> None:
    from nyx_app.services.errors import InvalidFields

    owner = await tenants.create()
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        with pytest.raises(InvalidFields) as refused:
            await members.add_member(s, owner.ctx, "new@example.test", "password", "New", "owner")
        with pytest.raises(InvalidFields) as again:
            await members.add_member(s, owner.ctx, "not an address", "whatever", "", "member")
    assert set(refused.value.fields) == {"role", "password"}
    assert set(again.value.fields) == {"email"}
