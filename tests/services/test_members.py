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
