"""Remove stored objects no row refers to (note images, persona portraits, report PDFs, policy
documents).

Uploads store objects before their rows commit and remove them again when the transaction fails,
but a process killed in between leaves objects behind; so does a deleted tenant (its rows go by
cascade, nothing runs for its files). This sweep finds them. It only touches objects older than a
grace period, because an upload in flight has stored its objects but not yet committed its rows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, or_, select

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.integrations import storage as storage_backend
from nyx_app.integrations.storage import Storage, StoredObject
from nyx_app.models.library import PolicyDocument
from nyx_app.models.note_image import NoteImage
from nyx_app.models.persona import Persona
from nyx_app.models.report import Report
from nyx_app.models.trash import TrashItem

SWEEP_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SweepReport:
    checked: int
    removed: list[str]


async def _referenced(tenant_id: uuid.UUID, keys: list[str]) -> set[str]:
    """Which of ``keys`` a row of this tenant refers to (read under the tenant's RLS)."""
    async with transaction(tenant_id=tenant_id) as session:
        rows = await session.exec(
            select(NoteImage.image_key, NoteImage.thumb_key).where(
                or_(col(NoteImage.image_key).in_(keys), col(NoteImage.thumb_key).in_(keys))
            )
        )
        portraits = await session.exec(
            select(Persona.portrait_key, Persona.portrait_thumb_key).where(
                or_(col(Persona.portrait_key).in_(keys), col(Persona.portrait_thumb_key).in_(keys))
            )
        )
        pdfs = await session.exec(select(Report.pdf_key).where(col(Report.pdf_key).in_(keys)))
        # Files of what is in the trash are kept for a restore until the trash is emptied or purged.
        trashed = await session.exec(select(func.unnest(col(TrashItem.file_keys))))
        wanted = set(keys)
        policies = await session.exec(select(PolicyDocument.file_key).where(col(PolicyDocument.file_key).in_(keys)))
        return (
            {key for pair in [*rows, *portraits] for key in pair} | set(pdfs) | (set(trashed) & wanted) | set(policies)
        )


async def sweep_orphan_objects(
    *, storage: Storage | None = None, grace: timedelta = SWEEP_GRACE, now: datetime | None = None
) -> SweepReport:
    store = storage if storage is not None else storage_backend.get_storage()
    cutoff = (now or utcnow()) - grace
    objects: list[StoredObject] = await asyncio.to_thread(lambda: list(store.list_objects()))
    by_tenant: dict[uuid.UUID, list[str]] = defaultdict(list)
    for obj in objects:
        if obj.modified < cutoff:
            by_tenant[uuid.UUID(obj.key.split("/", 1)[0])].append(obj.key)
    orphans: list[str] = []
    for tenant_id, keys in by_tenant.items():
        referenced = await _referenced(tenant_id, keys)
        orphans.extend(key for key in keys if key not in referenced)

    def delete_all() -> None:
        for key in orphans:
            store.delete(key)

    await asyncio.to_thread(delete_all)
    return SweepReport(checked=len(objects), removed=orphans)
