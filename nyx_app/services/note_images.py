"""Images of a note: upload several at once, describe, reorder, remove.

A row never exists without its stored objects, and stored objects never outlive their row:
objects are written before the row is flushed and removed again if the flush or the commit
fails; objects of deleted rows are removed only once the delete has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import after_commit, after_rollback
from nyx_app.integrations import storage as storage_backend
from nyx_app.integrations.images import ImageRejected, ProcessedImage, display_name, process_off_loop
from nyx_app.integrations.storage import Storage, StorageError, new_key, thumb_key_for
from nyx_app.models.note_image import (
    IMAGE_DESCRIPTION_MAX,
    IMAGE_NAME_MAX,
    DescriptionSource,
    NoteImage,
    NoteImagePublic,
)
from nyx_app.models.project import ProjectNote
from nyx_app.services import image_descriptions
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import TextKind, optional_text, parse_id
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

STORE_THREADS = 4
STORE_FAILED = "The image could not be saved right now (storage unavailable). Please try again."


@dataclass(frozen=True, slots=True)
class IncomingFile:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome for one uploaded file: the saved image, or a message for the user."""

    name: str
    image: NoteImagePublic | None = None
    error: str = ""
    index: int = 0  # the file's place in its drop

    @property
    def ok(self) -> bool:
        return self.image is not None


def _public(image: NoteImage) -> NoteImagePublic:
    return NoteImagePublic.model_validate(image, from_attributes=True)


def _storage(storage: Storage | None) -> Storage:
    return storage if storage is not None else storage_backend.get_storage()


async def _note(session: AsyncSession, note_id: str | uuid.UUID) -> ProjectNote:
    note = await session.get(ProjectNote, parse_id(note_id, "Note"))
    if note is None:
        raise NotFound("Note not found.")
    return note


async def _images_of(session: AsyncSession, note_id: uuid.UUID, *, lock: bool = False) -> list[NoteImage]:
    stmt = select(NoteImage).where(NoteImage.note_id == note_id)
    stmt = stmt.order_by(col(NoteImage.sort_order), col(NoteImage.created_at), col(NoteImage.id))
    return list(await session.exec(stmt.with_for_update() if lock else stmt))


async def _delete_objects(storage: Storage, keys: Sequence[str]) -> None:
    """Best effort, key by key: one failure does not keep the others, and never masks the error
    that made us clean up. Whatever stays behind is found by the orphan sweep (image_sweep)."""

    def delete_all() -> None:
        for key in keys:
            try:
                storage.delete(key)
            except StorageError:
                log.warning("could not delete stored object %s; the orphan sweep will retry", key, exc_info=True)

    if keys:
        await asyncio.to_thread(delete_all)


def remove_objects_after_commit(session: AsyncSession, keys: Sequence[str], storage: Storage | None = None) -> None:
    keys = list(keys)
    if keys:
        after_commit(session, lambda: _delete_objects(_storage(storage), keys))


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file after validation: re-encoded and thumbnailed, or rejected with a message."""

    name: str
    image: ProcessedImage | None
    error: str = ""


async def check_files(files: Sequence[IncomingFile]) -> list[CheckedFile]:
    """Validate and re-encode every file in the image worker processes. No database: callers run
    this before opening their transaction, so a connection is not held while images are processed."""
    check_drop_size(len(files))
    return list(await asyncio.gather(*(check_file(f) for f in files)))


async def check_file(file: IncomingFile) -> CheckedFile:
    settings = get_settings()
    name = display_name(file.name)
    try:
        image = await process_off_loop(
            file.data, max_bytes=settings.upload_max_bytes, max_pixels=settings.upload_max_pixels
        )
    except ImageRejected as rejected:
        return CheckedFile(name, None, str(rejected))
    return CheckedFile(name, image)


async def _store_all(storage: Storage, items: list[tuple[str, ProcessedImage]], stored: list[str]) -> list[bool]:
    """Store image and thumbnail of each item; ``stored`` collects every key written (for clean-up)."""
    gate = asyncio.Semaphore(STORE_THREADS)

    def put_pair(key: str, image: ProcessedImage) -> None:
        storage.put(key, image.data, image.content_type)
        stored.append(key)
        try:
            storage.put(thumb_key_for(key), image.thumb, "image/webp")
        except StorageError:
            # No row will be written for this file: its image must not stay behind alone.
            with contextlib.suppress(StorageError):
                storage.delete(key)
            raise
        stored.append(thumb_key_for(key))

    async def one(key: str, image: ProcessedImage) -> bool:
        async with gate:
            try:
                await asyncio.to_thread(put_pair, key, image)
            except StorageError:
                return False
            return True

    return await asyncio.gather(*(one(k, i) for k, i in items))


def check_drop_size(count: int) -> None:
    """Checked before any file is read further: a drop over the limit is refused as a whole."""
    limit = get_settings().upload_max_files
    if count == 0:
        raise InvalidInput("Choose at least one image.")
    if count > limit:
        raise InvalidInput(f"You dropped {count} files; at most {limit} at a time. Nothing was uploaded.")


async def save_images(
    session: AsyncSession,
    ctx: TenantContext,
    note_id: str | uuid.UUID,
    checked: Sequence[CheckedFile],
    *,
    first_order: int | None = None,
    storage: Storage | None = None,
) -> list[FileResult]:
    """Store and record the accepted files of ``check_files``; one result per file, in order.

    A bad file gets its own message and does not stop the good ones. The files go after the
    note's last image, or from ``first_order`` on (``next_sort_order``, for a drop saved file by file).
    """
    require(ctx, Action.IMAGE_UPLOAD)
    note = await _note(session, note_id)
    store = _storage(storage)
    accepted = [(i, c.image) for i, c in enumerate(checked) if c.image is not None]
    keys = [new_key(ctx.tenant_id, note.project_id, note.id, image.ext) for _, image in accepted]
    stored: list[str] = []
    # Registered before anything is written, so a failing commit at the edge also removes them.
    after_rollback(session, lambda: _delete_objects(store, stored))
    saved = await _store_all(store, list(zip(keys, (image for _, image in accepted), strict=True)), stored)

    next_order = first_order if first_order is not None else await _after_last(session, note.id)
    results = [FileResult(c.name, error=c.error, index=i) for i, c in enumerate(checked)]
    rows: list[tuple[int, NoteImage]] = []
    for (i, image), key, ok in zip(accepted, keys, saved, strict=True):
        if not ok:
            results[i] = FileResult(checked[i].name, error=STORE_FAILED, index=i)
            continue
        row = NoteImage(
            tenant_id=ctx.tenant_id,
            note_id=note.id,
            image_key=key,
            thumb_key=thumb_key_for(key),
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            bytes=len(image.data),
            sha256=image.sha256,
            sort_order=next_order + (i if first_order is not None else len(rows)),
            file_name=checked[i].name[:IMAGE_NAME_MAX],
        )
        session.add(row)
        rows.append((i, row))
    try:
        await session.flush()
    except Exception:
        await _delete_objects(store, stored)
        stored.clear()
        raise
    for i, row in rows:
        results[i] = FileResult(checked[i].name, image=_public(row), index=i)
    if rows:  # described by a model in the background (services/image_descriptions.py)
        await image_descriptions.queue_job(session, ctx)
    return results


async def _after_last(session: AsyncSession, note_id: uuid.UUID) -> int:
    last = select(func.coalesce(func.max(NoteImage.sort_order), -1)).where(NoteImage.note_id == note_id)
    return (await session.exec(last)).one() + 1


async def next_sort_order(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> int:
    """Where a drop's first image goes: after the note's last one. Checks the note and the right
    to upload, so a drop saved file by file is refused before any file is read."""
    require(ctx, Action.IMAGE_UPLOAD)
    note = await _note(session, note_id)
    return await _after_last(session, note.id)


def with_index(result: FileResult, index: int) -> FileResult:
    return dataclasses.replace(result, index=index)


async def add_images(
    session: AsyncSession,
    ctx: TenantContext,
    note_id: str | uuid.UUID,
    files: Sequence[IncomingFile],
    *,
    storage: Storage | None = None,
) -> list[FileResult]:
    """check_files + save_images in one go (the note is checked first, before any image work)."""
    require(ctx, Action.IMAGE_UPLOAD)
    await _note(session, note_id)
    return await save_images(session, ctx, note_id, await check_files(files), storage=storage)


async def list_images(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> list[NoteImagePublic]:
    note = await _note(session, note_id)
    return [_public(image) for image in await _images_of(session, note.id)]


async def get_image(session: AsyncSession, ctx: TenantContext, image_id: str | uuid.UUID) -> NoteImage:
    image = await session.get(NoteImage, parse_id(image_id, "Image"))
    if image is None:
        raise NotFound("Image not found.")
    return image


async def update_description(
    session: AsyncSession, ctx: TenantContext, image_id: str | uuid.UUID, description: str
) -> NoteImagePublic:
    require(ctx, Action.IMAGE_EDIT)
    image = await get_image(session, ctx, image_id)
    image.description = optional_text(description, "Description", IMAGE_DESCRIPTION_MAX, kind=TextKind.PROSE)
    # A person's text: the background describer never writes over it (image_descriptions.py).
    image.description_source = DescriptionSource.USER.value
    session.add(image)
    await session.flush()
    return _public(image)


async def claim_description(session: AsyncSession, ctx: TenantContext, image_id: str | uuid.UUID) -> bool:
    """The user started writing this image's description (its box got focus): from now on the
    background describer leaves it alone, even if its call is already under way. True if it
    had no description yet (so the box is the user's)."""
    require(ctx, Action.IMAGE_EDIT)
    image = await get_image(session, ctx, image_id)
    if image.description or image.description_source:
        return False
    image.description_source = DescriptionSource.USER.value
    session.add(image)
    await session.flush()
    return True


async def reorder(
    session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID, ordered_ids: Sequence[str | uuid.UUID]
) -> list[NoteImagePublic]:
    """Set the order to exactly ``ordered_ids``, which must name every image of the note once."""
    require(ctx, Action.IMAGE_EDIT)
    note = await _note(session, note_id)
    images = {image.id: image for image in await _images_of(session, note.id, lock=True)}
    wanted = [parse_id(i, "Image") for i in ordered_ids]
    if len(set(wanted)) != len(wanted) or set(wanted) != set(images):
        raise Conflict("The images of this note changed meanwhile (in another tab?). Reload the note and try again.")
    for position, image_id in enumerate(wanted):
        images[image_id].sort_order = position
        session.add(images[image_id])
    await session.flush()
    return [_public(images[i]) for i in wanted]


async def move_image(
    session: AsyncSession, ctx: TenantContext, image_id: str | uuid.UUID, offset: int
) -> list[NoteImagePublic]:
    """Move one image ``offset`` places (-1 = up/left); at either end it stays where it is."""
    require(ctx, Action.IMAGE_EDIT)
    image = await get_image(session, ctx, image_id)
    order = [i.id for i in await _images_of(session, image.note_id, lock=True)]
    old = order.index(image.id)
    order.insert(max(0, min(len(order) - 1, old + offset)), order.pop(old))
    return await reorder(session, ctx, image.note_id, order)


async def remove_image(
    session: AsyncSession,
    ctx: TenantContext,
    image_id: str | uuid.UUID,
    *,
    storage: Storage | None = None,
    keep_files: bool = False,
) -> None:
    """``keep_files``: the trash keeps them for a restore."""
    image = await get_image(session, ctx, image_id)
    # Images carry no author of their own: they belong to their note, and so does the "own" rule.
    require(ctx, Action.IMAGE_DELETE, author_id=(await _note(session, image.note_id)).created_by)
    await session.delete(image)
    await session.flush()
    if not keep_files:
        remove_objects_after_commit(session, [image.image_key, image.thumb_key], storage)


async def remove_objects_of(
    session: AsyncSession,
    *,
    note_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    storage: Storage | None = None,
) -> None:
    """Before a note or project is deleted (rows go by cascade): remove their objects after commit."""
    stmt = select(NoteImage.image_key, NoteImage.thumb_key)
    if note_id is not None:
        stmt = stmt.where(NoteImage.note_id == note_id)
    elif project_id is not None:
        stmt = stmt.join(ProjectNote, col(ProjectNote.id) == col(NoteImage.note_id)).where(
            ProjectNote.project_id == project_id
        )
    else:
        raise ValueError("remove_objects_of needs a note_id or a project_id")
    keys = [key for pair in await session.exec(stmt) for key in pair]
    remove_objects_after_commit(session, keys, storage)
