"""Portraits go through the note-image pipeline: decoded and re-encoded, refused when they are not
an image, stored under generated keys, replaced and removed with their objects, copied with a
duplicate, and kept by the orphan sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.integrations.storage import LocalStorage
from nyx_app.models.persona import Persona
from nyx_app.services.errors import InvalidInput
from nyx_app.services.image_sweep import sweep_orphan_objects
from nyx_app.services.personas import portraits, store
from nyx_app.services.personas.store import PersonaInput
from tests.factories import Account, TenantFactory
from tests.fakes import images as corpus


async def new_persona(acct: Account, name: str = "Ada") -> Persona:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return await store.create_persona(s, acct.ctx, PersonaInput(name, "Architect"))


async def upload(acct: Account, persona_id: object, data: bytes) -> Persona:
    image = await portraits.check_portrait(data)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return await portraits.set_portrait(s, acct.ctx, str(persona_id), image)


def stored(storage: LocalStorage) -> set[str]:
    return {o.key for o in storage.list_objects()}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello, I am a text file pretending to be a PNG", "not an image we can read"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG images are not accepted"),
        (b"", "The file is empty"),
    ],
    ids=["text", "svg", "empty"],
)
async def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(
    tenants: TenantFactory, local_storage: LocalStorage, data: bytes, message: str
) -> None:
    acct = await tenants.create()
    persona = await new_persona(acct)
    with pytest.raises(InvalidInput, match=message):
        await upload(acct, persona.id, data)
    assert stored(local_storage) == set()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        assert (await store.get_persona(s, acct.ctx, persona.id)).portrait_key == ""


async def test_upload_replace_and_remove_keep_storage_in_step_with_the_row(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    acct = await tenants.create()
    persona = await new_persona(acct)
    first = await upload(acct, persona.id, corpus.jpeg_with_gps_exif())
    assert first.portrait_key.startswith(f"{acct.ctx.tenant_id}/personas/{persona.id}/")
    assert first.portrait_key.endswith(".jpg") and first.portrait_thumb_key.endswith(".thumb.webp")
    assert stored(local_storage) == {first.portrait_key, first.portrait_thumb_key}
    assert b"SpyCam" not in local_storage.get(first.portrait_key)  # re-encoded: the metadata is gone
    assert store.view(first).portrait_tag == portraits.tag(first.portrait_key) != ""

    second = await upload(acct, persona.id, corpus.image_bytes("PNG", (300, 300)))
    assert stored(local_storage) == {second.portrait_key, second.portrait_thumb_key}
    assert portraits.tag(second.portrait_key) != portraits.tag(first.portrait_key)

    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await portraits.remove_portrait(s, acct.ctx, persona.id)
    assert stored(local_storage) == set()


async def test_duplicate_gets_its_own_copy_and_delete_removes_only_its_own(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    acct = await tenants.create()
    persona = await new_persona(acct)
    original = await upload(acct, persona.id, corpus.image_bytes("PNG", (120, 120)))
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        copy = await store.duplicate_persona(s, acct.ctx, persona.id)
    assert copy.portrait_key and copy.portrait_key != original.portrait_key
    assert local_storage.get(copy.portrait_key) == local_storage.get(original.portrait_key)

    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await store.delete_persona(s, acct.ctx, persona.id)
    assert stored(local_storage) == {copy.portrait_key, copy.portrait_thumb_key}


async def test_the_orphan_sweep_keeps_portraits_and_removes_leftovers(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    acct = await tenants.create()
    persona = await new_persona(acct)
    kept = await upload(acct, persona.id, corpus.image_bytes("PNG"))
    leftover = f"{acct.ctx.tenant_id}/personas/{persona.id}/{'a' * 32}.png"
    local_storage.put(leftover, b"x", "image/png")

    report = await sweep_orphan_objects(storage=local_storage, grace=timedelta(0), now=utcnow() + timedelta(seconds=5))

    assert report.removed == [leftover]
    assert stored(local_storage) == {kept.portrait_key, kept.portrait_thumb_key}
