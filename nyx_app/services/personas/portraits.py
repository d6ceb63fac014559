"""Uploaded portraits: through the same safe pipeline as note images.

The file is decoded and re-encoded by ``integrations/images.py`` (anything that is not a PNG,
JPEG, WebP or GIF is refused, whatever its name says), thumbnailed, and stored under a generated
key (``tenant/personas/<persona>/<uuid>.<ext>``). The browser fetches it through the authenticated
route in ``api/portraits.py``. Objects follow the row's fate: new ones are removed if the
transaction fails, replaced ones only once it has committed. A persona without an upload shows
its generated avatar (``avatar.py``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import after_rollback
from nyx_app.integrations import storage as storage_backend
from nyx_app.integrations.images import ACCEPTED, ImageRejected, ProcessedImage, process_image
from nyx_app.integrations.storage import Storage, StorageError, new_portrait_key, thumb_key_for
from nyx_app.models.persona import Persona
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound, ServiceError
from nyx_app.services.note_images import CheckedFile, IncomingFile, check_file, remove_objects_after_commit
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import parse_id
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

CONTENT_TYPES = {ext: content_type for content_type, ext in ACCEPTED.values()}
STORE_FAILED = "The portrait could not be saved right now (storage unavailable). Please try again."


def tag(key: str) -> str:
    """A short token that changes with every upload: it goes into the portrait's URL, so a new
    portrait is never hidden behind a cached old one."""
    return key.rsplit("/", 1)[-1].split(".", 1)[0][:12] if key else ""


def content_type_of(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


def _storage(storage: Storage | None) -> Storage:
    return storage if storage is not None else storage_backend.get_storage()


async def check_portrait(data: bytes) -> ProcessedImage:
    """Decode, re-encode and thumbnail in a worker thread (before any transaction opens)."""
    settings = get_settings()
    try:
        return await asyncio.to_thread(
            process_image, data, max_bytes=settings.upload_max_bytes, max_pixels=settings.upload_max_pixels
        )
    except ImageRejected as rejected:
        raise InvalidInput(str(rejected)) from None


async def check_portrait_file(name: str, data: bytes) -> CheckedFile:
    """The uploader's check: the very one a note's images get (``note_images.check_file``), so a
    file gets the same answer whichever uploader it was given to. The decoded content decides;
    the name is only shown, cleaned (``CheckedFile.name``)."""
    return await check_file(IncomingFile(name, data))


async def _locked(session: AsyncSession, persona_id: str | uuid.UUID) -> Persona:
    persona = (
        await session.exec(select(Persona).where(Persona.id == parse_id(persona_id, "Persona")).with_for_update())
    ).first()
    if persona is None:
        raise NotFound("Persona not found.")
    return persona


async def _put(store: Storage, items: Sequence[tuple[str, bytes, str]], written: list[str]) -> None:
    def put_all() -> None:
        for key, data, content_type in items:
            store.put(key, data, content_type)
            written.append(key)

    try:
        await asyncio.to_thread(put_all)
    except StorageError:
        raise ServiceError(STORE_FAILED) from None


async def set_portrait(
    session: AsyncSession,
    ctx: TenantContext,
    persona_id: str | uuid.UUID,
    image: ProcessedImage,
    *,
    storage: Storage | None = None,
) -> Persona:
    require(ctx, Action.PERSONA_EDIT)
    persona = await _locked(session, persona_id)
    store = _storage(storage)
    key = new_portrait_key(ctx.tenant_id, persona.id, image.ext)
    written: list[str] = []
    after_rollback(session, lambda: _delete_now(store, written))
    await _put(store, [(key, image.data, image.content_type), (thumb_key_for(key), image.thumb, "image/webp")], written)
    old = [k for k in (persona.portrait_key, persona.portrait_thumb_key) if k]
    persona.portrait_key, persona.portrait_thumb_key = key, thumb_key_for(key)
    session.add(persona)
    await session.flush()
    remove_objects_after_commit(session, old, store)
    return persona


async def remove_portrait(
    session: AsyncSession, ctx: TenantContext, persona_id: str | uuid.UUID, *, storage: Storage | None = None
) -> Persona:
    """Back to the generated avatar."""
    require(ctx, Action.PERSONA_EDIT)
    persona = await _locked(session, persona_id)
    old = [k for k in (persona.portrait_key, persona.portrait_thumb_key) if k]
    persona.portrait_key = persona.portrait_thumb_key = ""
    session.add(persona)
    await session.flush()
    remove_objects_after_commit(session, old, storage)
    return persona


async def copy_portrait(
    session: AsyncSession, source: Persona, copy: Persona, *, storage: Storage | None = None
) -> None:
    """A duplicate gets portrait objects of its own: deleting one persona never takes the other's picture."""
    if not source.portrait_key:
        return
    store = _storage(storage)
    key = new_portrait_key(copy.tenant_id, copy.id, source.portrait_key.rsplit(".", 1)[-1])

    def read() -> tuple[bytes, bytes]:
        return store.get(source.portrait_key), store.get(source.portrait_thumb_key)

    try:
        data, thumb = await asyncio.to_thread(read)
    except (StorageError, LookupError):
        return  # the source's picture is unreadable: the copy shows its generated avatar
    written: list[str] = []
    after_rollback(session, lambda: _delete_now(store, written))
    await _put(store, [(key, data, content_type_of(key)), (thumb_key_for(key), thumb, "image/webp")], written)
    copy.portrait_key, copy.portrait_thumb_key = key, thumb_key_for(key)
    session.add(copy)
    await session.flush()


async def _delete_now(store: Storage, keys: list[str]) -> None:
    def delete_all() -> None:
        for key in keys:
            try:
                store.delete(key)
            except StorageError:
                log.warning("could not delete stored object %s; the orphan sweep will retry", key, exc_info=True)

    if keys:
        await asyncio.to_thread(delete_all)


def remove_after_commit(session: AsyncSession, keys: Sequence[str], storage: Storage | None = None) -> None:
    remove_objects_after_commit(session, keys, storage)


async def portrait_of(session: AsyncSession, ctx: TenantContext, persona_id: str | uuid.UUID) -> Persona:
    """For the portrait route: the persona under RLS (another tenant's id is "not found")."""
    persona = await session.get(Persona, parse_id(persona_id, "Persona"))
    if persona is None or not persona.portrait_key:
        raise NotFound("Portrait not found.")
    return persona
