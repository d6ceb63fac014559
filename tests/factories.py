"""Factories: real rows made through the services, the way the app makes them."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Membership, Role
from nyx_app.services import auth, members
from nyx_app.services.context import TenantContext

_counter = itertools.count(1)
# Passes the password rules (zxcvbn score 3 with the account's e-mail and name).
PASSWORD = "correct horse battery"


@dataclass
class Account:
    ctx: TenantContext
    email: str
    token: str


class TenantFactory:
    async def create(self, name: str | None = None) -> Account:
        n = next(_counter)
        email = f"user{n}@example.test"
        token = await auth.register(email, PASSWORD, f"User {n}", name or f"Tenant {n}")
        ident = await auth.resolve(token)
        assert ident is not None
        return Account(TenantContext(ident.tenant_id, ident.user_id, ident.role), email, token)

    async def join(self, owner: Account, role: Role = Role.MEMBER) -> Account:
        """A new user added to the owner's tenant with ``role`` (an owner when asked for, which
        the members page cannot do yet)."""
        n = next(_counter)
        email = f"user{n}@example.test"
        async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
            added = await members.add_member(s, owner.ctx, email, PASSWORD, f"User {n}", Role.MEMBER.value)
        if role is not Role.MEMBER:
            await _set_role(owner, added.user_id, role)
        token = await auth.login(email, PASSWORD, address="192.0.2.10")
        return Account(TenantContext(owner.ctx.tenant_id, added.user_id, role), email, token)


async def _set_role(owner: Account, user_id: uuid.UUID, role: Role) -> None:
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        membership = (await s.exec(select(Membership).where(Membership.user_id == user_id))).one()
        membership.role = role.value
        s.add(membership)
