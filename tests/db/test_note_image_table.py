"""The note_image table itself: cascade, uniqueness and row-level security, as the app role."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from nyx_app.db.session import transaction
from nyx_app.models.note_image import NoteImage
from nyx_app.services import notes, projects
from nyx_app.services.context import TenantContext
from tests.factories import TenantFactory


async def note_of(ctx: TenantContext) -> uuid.UUID:
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        project = await projects.create_project(s, ctx, f"P {uuid.uuid4().hex[:6]}")
        return (await notes.create_note(s, ctx, project.id, "N")).id


def row(ctx: TenantContext, note_id: uuid.UUID, key: str = "k.png", tenant_id: uuid.UUID | None = None) -> NoteImage:
    return NoteImage(
        tenant_id=tenant_id or ctx.tenant_id,
        note_id=note_id,
        image_key=key,
        thumb_key=key + ".thumb.webp",
        content_type="image/png",
        width=1,
        height=1,
        bytes=10,
        sha256="0" * 64,
    )


async def count(ctx: TenantContext) -> int:
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        return int((await s.execute(text("SELECT count(*) FROM note_image"))).scalar_one())


async def test_deleting_a_note_deletes_its_image_rows_by_cascade(tenants: TenantFactory) -> None:
    a = (await tenants.create()).ctx
    note_id = await note_of(a)
    async with transaction(a.tenant_id) as s:
        s.add_all([row(a, note_id, "1.png"), row(a, note_id, "2.png")])
    assert await count(a) == 2
    async with transaction(a.tenant_id) as s:
        await s.execute(text("DELETE FROM project_note WHERE id = :id"), {"id": note_id})
    assert await count(a) == 0


async def test_an_image_key_is_unique_within_a_note(tenants: TenantFactory) -> None:
    a = (await tenants.create()).ctx
    note_id, other_note = await note_of(a), await note_of(a)
    async with transaction(a.tenant_id) as s:
        s.add_all([row(a, note_id, "same.png"), row(a, other_note, "same.png")])  # other note: fine
    with pytest.raises(IntegrityError, match="note_image_note_id_image_key"):
        async with transaction(a.tenant_id) as s:
            s.add(row(a, note_id, "same.png"))


async def test_another_tenant_cannot_see_change_delete_or_insert_image_rows(tenants: TenantFactory) -> None:
    a, b = (await tenants.create()).ctx, (await tenants.create()).ctx
    note_id = await note_of(a)
    async with transaction(a.tenant_id) as s:
        s.add(row(a, note_id))
    assert await count(b) == 0
    async with transaction(b.tenant_id) as s:
        changed = await s.execute(text("UPDATE note_image SET description = 'pwned'"))
        deleted = await s.execute(text("DELETE FROM note_image"))
        assert (changed.rowcount, deleted.rowcount) == (0, 0)
    # Inserting a row claiming A's tenant is refused by the policy's WITH CHECK.
    with pytest.raises(DBAPIError, match="row-level security"):
        async with transaction(b.tenant_id) as s:
            s.add(row(b, note_id, "sneaky.png", tenant_id=a.tenant_id))
    # Inserting under B's own tenant id cannot point at A's note (composite foreign key).
    with pytest.raises(IntegrityError):
        async with transaction(b.tenant_id) as s:
            s.add(row(b, note_id, "sneaky.png"))
    async with transaction(a.tenant_id) as s:
        assert (await s.execute(text("SELECT description FROM note_image"))).scalars().all() == [""]
    # Without a tenant, nothing at all.
    async with transaction() as s:
        assert (await s.execute(text("SELECT count(*) FROM note_image"))).scalar_one() == 0
