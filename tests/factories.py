"""Factories: real rows made through the services, the way the app makes them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from nyx_app.services import auth
from nyx_app.services.context import TenantContext

_counter = itertools.count(1)
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
