"""The image route over HTTP (ASGI, in-process), with each storage backend."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from nyx_app.api import api
from nyx_app.api.images import image_url, thumb_url
from nyx_app.db.session import transaction
from nyx_app.integrations.storage import Storage
from nyx_app.routes import SESSION_COOKIE
from nyx_app.services import auth, note_images, notes, projects
from nyx_app.services.note_images import IncomingFile
from tests.factories import Account, TenantFactory
from tests.fakes import images as corpus


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://nyx.test") as c:
        yield c


async def uploaded_image(account: Account) -> uuid.UUID:
    ctx = account.ctx
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        project = await projects.create_project(s, ctx, "P")
        note = await notes.create_note(s, ctx, project.id, "N")
        [result] = await note_images.add_images(
            s, ctx, note.id, [IncomingFile("a.jpg", corpus.image_bytes("JPEG", (400, 300)))]
        )
    assert result.image is not None
    return result.image.id


def as_user(account: Account) -> dict[str, str]:
    return {"cookie": f"{SESSION_COOKIE}={account.token}"}


async def test_local_image_and_thumbnail_are_served_to_their_tenant_only(
    tenants: TenantFactory, local_storage: Storage, client: httpx.AsyncClient
) -> None:
    alice, bob = await tenants.create(), await tenants.create()
    image_id = await uploaded_image(alice)

    full = await client.get(image_url(image_id), headers=as_user(alice))
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff"
    assert full.content.startswith(b"\xff\xd8")
    thumb = await client.get(thumb_url(image_id), headers=as_user(alice))
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/webp"
    assert len(thumb.content) < len(full.content)

    assert (await client.get(image_url(image_id), headers=as_user(bob))).status_code == 404
    assert (await client.get(thumb_url(image_id), headers=as_user(bob))).status_code == 404
    assert (await client.get(image_url(uuid.uuid4()), headers=as_user(alice))).status_code == 404
    assert (await client.get(image_url("../../etc/passwd"), headers=as_user(alice))).status_code == 404


async def test_no_session_or_a_revoked_one_gets_nothing(
    tenants: TenantFactory, local_storage: Storage, client: httpx.AsyncClient
) -> None:
    alice = await tenants.create()
    image_id = await uploaded_image(alice)
    assert (await client.get(image_url(image_id))).status_code == 401
    await auth.logout(alice.token)
    assert (await client.get(image_url(image_id), headers=as_user(alice))).status_code == 401


async def test_s3_image_redirects_to_a_short_lived_presigned_url(
    tenants: TenantFactory, s3_storage: Storage, client: httpx.AsyncClient
) -> None:
    alice, bob = await tenants.create(), await tenants.create()
    image_id = await uploaded_image(alice)
    response = await client.get(image_url(image_id), headers=as_user(alice))
    assert response.status_code == 302
    location = response.headers["location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    assert response.headers["cache-control"] == "private, no-store"
    fetched = httpx.get(location)  # from moto, over real HTTP
    assert fetched.status_code == 200 and fetched.content.startswith(b"\xff\xd8")
    assert (await client.get(image_url(image_id), headers=as_user(bob))).status_code == 404
