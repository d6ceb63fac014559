"""Create another workspace, rename it, delete it by typing its name; never the last owner's only one."""

from __future__ import annotations

import pytest

from nyx_app.db.session import transaction
from nyx_app.integrations.storage import LocalStorage
from nyx_app.models.tenancy import Role
from nyx_app.services import auth, members, projects, samples, workspaces
from nyx_app.services.errors import InvalidFields, InvalidInput, NotAllowed
from tests.factories import TenantFactory
from tests.fakes.storage import object_count


async def test_a_user_creates_a_second_workspace_and_works_in_it(tenants: TenantFactory) -> None:
    a = await tenants.create("First")
    with pytest.raises(InvalidFields) as refused:
        await workspaces.create_workspace(a.token, "  ")
    assert refused.value.fields == {"name": "Workspace name cannot be empty."}
    new_id = await workspaces.create_workspace(a.token, "Second")
    ident = await auth.resolve(a.token)
    assert ident is not None
    assert (ident.tenant_id, ident.tenant_name, ident.role) == (new_id, "Second", Role.OWNER)
    assert sorted(t.name for t in ident.tenants) == ["First", "Second"]


async def test_only_owners_rename(tenants: TenantFactory) -> None:
    owner = await tenants.create("Old name")
    admin = await tenants.join(owner, Role.ADMIN)
    with pytest.raises(NotAllowed, match="Only owners can rename"):
        async with transaction(admin.ctx.tenant_id, admin.ctx.user_id) as s:
            await workspaces.rename_workspace(s, admin.ctx, "Mine")
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await workspaces.rename_workspace(s, owner.ctx, " New name ")
    ident = await auth.resolve(admin.token)
    assert ident is not None and ident.tenant_name == "New name"


async def test_delete_needs_the_typed_name_and_another_workspace(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    owner = await tenants.create("Doomed")
    member = await tenants.join(owner)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await samples.create_sample_project(s, owner.ctx)  # notes with stored images
    assert object_count(local_storage) > 0
    with pytest.raises(InvalidInput, match="only workspace"):
        async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
            await workspaces.delete_workspace(s, owner.ctx, "Doomed")
    await workspaces.create_workspace(owner.token, "Lifeboat")
    await auth.switch_tenant(owner.token, owner.ctx.tenant_id)
    with pytest.raises(NotAllowed):
        async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
            await workspaces.delete_workspace(s, member.ctx, "Doomed")
    with pytest.raises(InvalidFields) as refused:
        async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
            await workspaces.delete_workspace(s, owner.ctx, "doomed")
    assert "exactly" in refused.value.fields["confirm"]

    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        assert await workspaces.delete_workspace(s, owner.ctx, " Doomed ") == "Doomed"
    ident = await auth.resolve(owner.token)
    assert ident is not None and ident.tenant_name == "Lifeboat"  # the login moved on
    assert await auth.resolve(member.token) is None  # nothing left for the member
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:  # the rows are gone
        assert await projects.list_projects(s, owner.ctx) == []
        assert await members.list_members(s, owner.ctx) == []
    assert object_count(local_storage) == 0  # and so are the stored images
