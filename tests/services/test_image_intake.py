import asyncio
import uuid
from dataclasses import dataclass

import pytest

from nyx_app.db.session import transaction
from nyx_app.services import image_intake, note_images, notes, projects
from nyx_app.services.errors import NotFound
from nyx_app.services.note_images import IncomingFile
from nyx_app.settings import get_settings
from tests.factories import Account, TenantFactory
from tests.fakes import images as corpus


@dataclass
class Chunk:
    filename: str
    offset: int
    data: bytes


async def _chunks(*chunks: Chunk):
    for chunk in chunks:
        yield chunk


async def _collect(stream) -> list:
    return [item async for item in stream]


async def test_chunks_become_whole_files_and_an_oversize_file_is_cut_just_past_the_limit() -> None:
    stream = _chunks(
        Chunk("a.png", 0, b"aaa"),
        Chunk("a.png", 3, b"aa"),
        Chunk("empty.png", 0, b""),
        Chunk("a.png", 0, b"second file with the same name"),
        Chunk("big.png", 0, b"x" * 6),
        Chunk("big.png", 6, b"y" * 6),
    )
    files = await _collect(image_intake.files_from_chunks(stream, max_bytes=10))
    assert [(f.name, f.data) for f in files] == [
        ("a.png", b"aaaaa"),
        ("empty.png", b""),
        ("a.png", b"second file with the same name"[:11]),
        ("big.png", b"xxxxxxyyyyy"),
    ]
    assert await _collect(image_intake.files_from_chunks(_chunks(), max_bytes=10)) == []


async def _note(a: Account) -> tuple[uuid.UUID, uuid.UUID]:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "Drops")
        note = await notes.create_note(s, a.ctx, project.id, "Screens")
        return project.id, note.id


async def _gallery(a: Account, note_id) -> list[int]:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return [i.width for i in await note_images.list_images(s, a.ctx, note_id)]


async def test_each_file_is_saved_as_soon_as_it_is_checked_in_drop_order(tenants: TenantFactory, local_storage) -> None:
    a = await tenants.create()
    _, note_id = await _note(a)
    second_may_arrive = asyncio.Event()

    async def slow_drop():
        yield IncomingFile("first.png", corpus.image_bytes("PNG", (101, 10)))
        await second_may_arrive.wait()  # the second file is still on its way...
        yield IncomingFile("fake.png", corpus.TEXT_AS_PNG)
        yield IncomingFile("third.jpg", corpus.image_bytes("JPEG", (103, 10)))

    stream = image_intake.intake(a.ctx, str(note_id), slow_drop())
    first = await anext(stream)
    # ...and the first image is already saved and committed: its card can show.
    assert (first.name, first.ok, first.index) == ("first.png", True, 0)
    assert await _gallery(a, note_id) == [101]
    second_may_arrive.set()
    rest = sorted(await _collect(stream), key=lambda r: r.index)
    assert [(r.name, r.ok, r.index) for r in rest] == [("fake.png", False, 1), ("third.jpg", True, 2)]
    assert "not an image we can read" in rest[0].error
    assert await _gallery(a, note_id) == [101, 103]


async def test_files_over_the_limit_are_refused_one_by_one(tenants: TenantFactory, local_storage, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "upload_max_files", 2)
    a = await tenants.create()
    _, note_id = await _note(a)

    async def drop():
        for i in range(3):
            yield IncomingFile(f"{i}.png", corpus.image_bytes("PNG", (10 + i, 10)))

    results = sorted(await _collect(image_intake.intake(a.ctx, str(note_id), drop())), key=lambda r: r.index)
    assert [r.ok for r in results] == [True, True, False]
    assert results[2].error.startswith("At most 2 files per drop")
    assert await _gallery(a, note_id) == [10, 11]


async def test_another_tenants_note_is_refused_before_any_file_is_read(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    _, note_id = await _note(a)
    read: list[str] = []

    async def drop():
        read.append("started")
        yield IncomingFile("x.png", corpus.image_bytes())

    with pytest.raises(NotFound, match="Note not found"):
        await _collect(image_intake.intake(b.ctx, str(note_id), drop()))
    assert read == []
