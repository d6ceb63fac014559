"""A drop of images, saved file by file while it is still arriving.

The browser sends a drop as one request whose files arrive one after another. Each file is checked
(decoded, re-encoded and thumbnailed in the image worker processes) as soon as its last byte is in,
and saved in a transaction of its own as soon as it is checked, so its card can show at once: the
first cards appear while later files are still on their way, and one slow or bad file holds up no
other. That is why this service opens its transactions itself (one to check the note and the right
to upload before any file is read, then one per file) instead of taking the caller's session; the
rule "a row never exists without its stored objects" holds per file (``note_images.save_images``).

Files keep the order they were dropped in, whichever finishes first: each gets its place in the
gallery (``sort_order``) from its place in the drop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

from nyx_app.db.session import transaction
from nyx_app.integrations.images import display_name
from nyx_app.integrations.storage import Storage
from nyx_app.services import note_images
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import ServiceError
from nyx_app.services.note_images import FileResult, IncomingFile
from nyx_app.settings import get_settings


class Chunk(Protocol):
    """A piece of one uploaded file (Reflex's streamed upload chunks have this shape)."""

    @property
    def filename(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def data(self) -> bytes: ...


def too_many(limit: int) -> str:
    return f"At most {limit} files per drop: this one was not added. Drop it again with fewer files."


async def files_from_chunks(chunks: AsyncIterable[Chunk], max_bytes: int) -> AsyncIterator[IncomingFile]:
    """Whole files from a stream of chunks; a file ends where the next one starts (offset 0).

    Of a file larger than ``max_bytes`` only ``max_bytes + 1`` bytes are kept (enough to refuse
    it as too large): the rest is read and dropped, so an oversize file never sits in memory.
    """
    name: str | None = None
    parts: list[bytes] = []
    kept = 0
    async for chunk in chunks:
        if chunk.offset == 0:
            if name is not None:
                yield IncomingFile(name, b"".join(parts))
            name, parts, kept = chunk.filename, [], 0
        room = max_bytes + 1 - kept
        if room > 0 and chunk.data:
            piece = chunk.data[:room]
            parts.append(piece)
            kept += len(piece)
    if name is not None:
        yield IncomingFile(name, b"".join(parts))


async def _save_one(
    ctx: TenantContext, note_id: str, checked: note_images.CheckedFile, order: int, storage: Storage | None
) -> FileResult:
    try:
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            [result] = await note_images.save_images(
                session, ctx, note_id, [checked], first_order=order, storage=storage
            )
    except ServiceError as refused:  # the note was deleted meanwhile, say
        return FileResult(checked.name, error=refused.message)
    return result


async def intake(
    ctx: TenantContext, note_id: str, files: AsyncIterable[IncomingFile], *, storage: Storage | None = None
) -> AsyncIterator[FileResult]:
    """One result per file, each as soon as that file is saved or refused (``index``: its place in
    the drop). Raises NotFound or NotAllowed before any file is read."""
    async with transaction(ctx.tenant_id, ctx.user_id) as session:
        first_order = await note_images.next_sort_order(session, ctx, note_id)
    limit = get_settings().upload_max_files
    results: asyncio.Queue[FileResult | BaseException | None] = asyncio.Queue()

    async def one(index: int, file: IncomingFile) -> None:
        if index >= limit:
            # Counted here, not up front: the server learns the count only as the files arrive.
            await results.put(FileResult(display_name(file.name), error=too_many(limit), index=index))
            return
        checked = await note_images.check_file(file)
        if checked.image is None:
            result = FileResult(checked.name, error=checked.error)
        else:
            result = await _save_one(ctx, note_id, checked, first_order + index, storage)
        await results.put(note_images.with_index(result, index))

    async def feed() -> None:
        try:
            async with asyncio.TaskGroup() as group:
                index = 0
                async for file in files:
                    group.create_task(one(index, file))
                    index += 1
        except BaseException as failed:  # handed to the consumer, which raises it
            await results.put(failed)
            raise
        await results.put(None)

    feeder = asyncio.create_task(feed())
    try:
        while (item := await results.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if not feeder.done():
            feeder.cancel()
        with contextlib.suppress(BaseException):
            await feeder
