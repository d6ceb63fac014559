"""The portrait route over HTTP: the tenant's own portraits only, 404 for everything else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from nyx_app.api import api
from nyx_app.api.portraits import portrait_url
from nyx_app.db.session import transaction
from nyx_app.integrations.storage import Storage
from nyx_app.routes import SESSION_COOKIE
from nyx_app.services.personas import portraits, store
from nyx_app.services.personas.store import PersonaInput
from tests.factories import Account, TenantFactory
from tests.fakes import images as corpus


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://nyx.test") as c:
        yield c


def as_user(account: Account) -> dict[str, str]:
    return {"cookie": f"{SESSION_COOKIE}={account.token}"}


async def test_a_portrait_is_served_to_its_tenant_only(
    tenants: TenantFactory, local_storage: Storage, client: httpx.AsyncClient
) -> None:
    alice, bob = await tenants.create(), await tenants.create()
    image = await portraits.check_portrait(corpus.image_bytes("JPEG", (400, 400)))
    async with transaction(alice.ctx.tenant_id, alice.ctx.user_id) as s:
        persona = await store.create_persona(s, alice.ctx, PersonaInput("Ada"))
        plain = await store.create_persona(s, alice.ctx, PersonaInput("Bea"))
        persona = await portraits.set_portrait(s, alice.ctx, persona.id, image)
    tag = portraits.tag(persona.portrait_key)

    full = await client.get(portrait_url(persona.id, tag, thumb=False), headers=as_user(alice))
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff"
    thumb = await client.get(portrait_url(persona.id, tag), headers=as_user(alice))
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"

    assert (await client.get(portrait_url(persona.id, tag), headers=as_user(bob))).status_code == 404
    assert (await client.get(portrait_url(plain.id, ""), headers=as_user(alice))).status_code == 404
    assert (await client.get(portrait_url(uuid.uuid4(), ""), headers=as_user(alice))).status_code == 404
    assert (await client.get(portrait_url(persona.id, tag))).status_code == 401
