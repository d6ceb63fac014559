"""API tokens: shown once and stored as a hash; every bad token is refused alike; a token never
does more than its scopes and its member's role *now* allow."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import col

from nyx_app.db.base import utcnow
from nyx_app.db.engine import owner_engine
from nyx_app.db.session import transaction
from nyx_app.models.api import ApiToken, TokenKind
from nyx_app.models.tenancy import Role
from nyx_app.services import api_tokens, members, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidFields, NotAllowed, NotFound
from nyx_app.services.permissions import (
    EVERYONE,
    PERMISSIONS,
    Action,
    Scope,
    ScopeMissing,
    may,
    require,
    role_may,
    scope_of,
)
from tests.factories import Account, TenantFactory

ADDRESS = "198.51.100.7"


async def make(acct: Account, scopes: list[str], **kw: object) -> api_tokens.NewToken:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return await api_tokens.create_token(s, acct.ctx, name="CI", scopes=scopes, **kw)  # type: ignore[arg-type]


async def test_a_token_is_shown_once_and_only_its_hash_is_stored(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    new = await make(acct, ["read", "write"])
    assert new.token.startswith(f"nyx_{acct.ctx.tenant_id.hex}_")
    assert new.view.hint == new.token[-4:]
    with owner_engine().connect() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(acct.ctx.tenant_id)})
        stored = conn.execute(text("SELECT row_to_json(t)::text FROM api_token t")).scalar_one()
    assert new.token not in stored and new.token.split("_", 2)[2] not in stored
    assert api_tokens.token_hash(new.token) in stored
    caller = await api_tokens.authenticate(new.token, ADDRESS)
    assert caller is not None and caller.ctx.user_id == acct.ctx.user_id and caller.ctx.scopes == {"read", "write"}


async def test_every_bad_token_is_refused_alike(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    good = (await make(acct, ["read"])).token
    expiring = await make(acct, ["read"], expires_in_days=7)
    async with transaction(acct.ctx.tenant_id) as s:
        await s.execute(
            update(ApiToken)
            .where(col(ApiToken.id) == expiring.view.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    revoked = await make(acct, ["read"])
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await api_tokens.revoke_token(s, acct.ctx, revoked.view.id)
    other_tenant = await tenants.create()
    bad = [
        "",
        "nyx_",
        "Bearer " + good,
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # one character off
        good.replace(acct.ctx.tenant_id.hex, other_tenant.ctx.tenant_id.hex),  # moved to another tenant
        f"nyx_{uuid.uuid4().hex}_{'x' * 43}",
        "nyx_" + "g" * 32 + "_" + "x" * 43,
        good + "\x00",
        expiring.token,
        revoked.token,
    ]
    for token in bad:
        assert await api_tokens.authenticate(token, ADDRESS) is None, token
    assert await api_tokens.authenticate(good, ADDRESS) is not None


async def test_revoking_stops_the_token_on_its_next_call(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    new = await make(acct, ["read"])
    assert await api_tokens.authenticate(new.token, ADDRESS) is not None
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        view = await api_tokens.revoke_token(s, acct.ctx, new.view.id)
    assert not view.active
    assert await api_tokens.authenticate(new.token, ADDRESS) is None


async def test_a_removed_member_s_tokens_stop_and_a_demoted_one_s_shrink(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    admin = await tenants.join(owner, Role.ADMIN)
    leaving = await tenants.join(owner, Role.MEMBER)
    admin_token = (await make(admin, ["read", "write", "admin"])).token
    leaving_token = (await make(leaving, ["read"])).token

    caller = await api_tokens.authenticate(admin_token, ADDRESS)
    assert caller is not None and may(caller.ctx, Action.PROJECT_DELETE)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await members.change_role(s, owner.ctx, admin.ctx.user_id, "member")
        await members.remove_member(s, owner.ctx, leaving.ctx.user_id)

    caller = await api_tokens.authenticate(admin_token, ADDRESS)
    assert caller is not None and caller.ctx.role is Role.MEMBER
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        project = await projects.create_project(s, owner.ctx, "Keep me")
    with pytest.raises(NotAllowed, match="Only owners and admins"):
        async with transaction(caller.ctx.tenant_id, caller.ctx.user_id) as s:
            await projects.delete_project(s, caller.ctx, project.id)
    assert await api_tokens.authenticate(leaving_token, ADDRESS) is None


async def test_last_use_and_address_are_remembered(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    new = await make(acct, ["read"])
    await api_tokens.authenticate(new.token, ADDRESS)
    await api_tokens.authenticate(new.token, "203.0.113.9")  # a new address is written at once
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        [view] = await api_tokens.list_tokens(s, acct.ctx, TokenKind.PERSONAL)
    assert view.last_used_at is not None and view.last_used_address == "203.0.113.9"


async def test_creating_refuses_bad_input_field_by_field_and_scopes_the_role_cannot_use(
    tenants: TenantFactory,
) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner, Role.MEMBER)
    with pytest.raises(InvalidFields) as refused:
        await make(member, ["read", "everything"], expires_in_days=3)
    assert set(refused.value.fields) == {"scopes", "expires"}
    with pytest.raises(InvalidFields, match="cannot use the admin scope"):
        await make(member, ["read", "admin"])
    with pytest.raises(NotAllowed):
        await make(member, ["read"], kind=TokenKind.WORKSPACE)
    token_ctx = TenantContext(owner.ctx.tenant_id, owner.ctx.user_id, Role.OWNER, scopes=frozenset({"admin"}))
    with pytest.raises(NotAllowed, match="not with a token"):
        async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
            await api_tokens.create_token(s, token_ctx, name="x", scopes=["read"])


async def test_personal_tokens_are_private_and_workspace_tokens_are_for_owners_and_admins(
    tenants: TenantFactory,
) -> None:
    owner = await tenants.create()
    admin = await tenants.join(owner, Role.ADMIN)
    member = await tenants.join(owner, Role.MEMBER)
    personal = await make(member, ["read"])
    shared = await make(admin, ["read", "admin"], kind=TokenKind.WORKSPACE)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        assert await api_tokens.list_tokens(s, owner.ctx, TokenKind.PERSONAL) == []
        assert [t.id for t in await api_tokens.list_tokens(s, owner.ctx, TokenKind.WORKSPACE)] == [shared.view.id]
        with pytest.raises(NotFound):
            await api_tokens.revoke_token(s, owner.ctx, personal.view.id)  # someone else's personal token
        await api_tokens.revoke_token(s, owner.ctx, shared.view.id)
    with pytest.raises(NotAllowed):
        async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
            await api_tokens.list_tokens(s, member.ctx, TokenKind.WORKSPACE)


# Row by row through the permission table: with a token holding exactly one scope, an action is
# allowed iff that is the action's scope and the role may do it; the refusal names what is missing.
@pytest.mark.parametrize("scope", list(Scope), ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("action", list(Action), ids=str)
def test_scopes_against_the_permission_table(action: Action, role: Role, scope: Scope) -> None:
    ctx = TenantContext(uuid.uuid4(), uuid.uuid4(), role, scopes=frozenset({scope.value}))
    expected = scope is scope_of(action) and role_may(role, action)
    assert may(ctx, action) is expected
    if expected:
        require(ctx, action)
    elif role_may(role, action):
        with pytest.raises(ScopeMissing, match=f"'{scope_of(action).value}' scope"):
            require(ctx, action)
    else:
        with pytest.raises(NotAllowed, match="Only "):
            require(ctx, action)


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_action_s_scope_follows_the_table(action: Action) -> None:
    """admin is exactly what only owners and admins may do; runs the run actions; write the rest."""
    scope = scope_of(action)
    if PERMISSIONS[action] != EVERYONE:
        assert scope is Scope.ADMIN
    else:
        assert scope in (Scope.WRITE, Scope.RUNS)
    full = TenantContext(uuid.uuid4(), uuid.uuid4(), Role.OWNER, scopes=frozenset(s.value for s in Scope))
    assert may(full, action)  # an owner's token with every scope may do everything an owner may
