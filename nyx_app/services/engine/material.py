"""What a run's prompts can draw on: the project, its notes (with image references), its memory,
and the notes' images for steps that send them to a vision model.

Notes are numbered N1, N2 … in creation order and images N1.1, N1.2 … in gallery order; the
numbering is stored on the run at its first start (``run.inputs["sources"]``) so the action points
of a resumed run still point at the notes and images they came from.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.integrations.storage import StorageError, get_storage
from nyx_app.models.memory import MemoryEntry
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project, ProjectNote
from nyx_app.services.llm import choice
from nyx_app.services.llm.call import ImageInput
from nyx_app.settings import get_settings

MEMORY_ENTRIES_MAX = 50


@dataclass(frozen=True, slots=True)
class ImageRef:
    ref: str  # N1.2
    image_id: str
    note_id: str
    key: str
    content_type: str
    description: str
    bytes: int


@dataclass
class Material:
    project_name: str
    project_description: str
    project_model: str
    notes: str
    memory: str
    images: list[ImageRef] = field(default_factory=list)
    # ref → {"kind": "note"|"image", "id": …, "note_id": …, "title": …}; kept on the run.
    sources: dict[str, dict[str, str]] = field(default_factory=dict)

    def variables(self) -> dict[str, Any]:
        return {
            "project": {"name": self.project_name, "description": self.project_description},
            "notes": self.notes,
            "memory": self.memory,
        }

    def images_as_text(self) -> str:
        if not self.images:
            return ""
        lines = [f"[{i.ref}] {i.description or '(no description)'}" for i in self.images]
        return "The screenshots cannot be shown to this model; their descriptions:\n" + "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much ``gather`` would put in a prompt, counted in SQL (the estimate needs only this)."""

    model: str
    notes_chars: int
    memory_chars: int
    images: int


# What gather adds around each note and entry ("### [N1] title", line breaks, the image lines).
NOTE_OVERHEAD, IMAGE_OVERHEAD, MEMORY_OVERHEAD = 16, 24, 8


async def sizes(session: AsyncSession, project_id: uuid.UUID) -> Sizes:
    """The sizes of the project's material without reading it: for a project of 200 notes and 1,000
    images, reading everything to count it made the workflow editor's load take most of a second."""
    project = await session.get(Project, project_id)
    if project is None:
        raise LookupError("project gone")
    notes_chars, note_count = (
        await session.execute(
            select(
                func.coalesce(func.sum(func.length(ProjectNote.title) + func.length(ProjectNote.content)), 0),
                func.count(),
            ).where(col(ProjectNote.project_id) == project_id)
        )
    ).one()
    image_chars, image_count = (
        await session.execute(
            select(func.coalesce(func.sum(func.length(NoteImage.description)), 0), func.count())
            .join(ProjectNote, col(ProjectNote.id) == col(NoteImage.note_id))
            .where(col(ProjectNote.project_id) == project_id)
        )
    ).one()
    recent = (
        select(MemoryEntry.title, MemoryEntry.content)
        .where(or_(col(MemoryEntry.project_id) == project_id, col(MemoryEntry.project_id).is_(None)))
        .order_by(col(MemoryEntry.updated_at).desc())
        .limit(MEMORY_ENTRIES_MAX)
        .subquery()
    )
    memory_chars, memory_count = (
        await session.execute(
            select(
                func.coalesce(func.sum(func.length(recent.c.title) + func.length(recent.c.content)), 0), func.count()
            ).select_from(recent)
        )
    ).one()
    model = (await choice.project_model(session, project)).ref
    return Sizes(
        model,
        int(notes_chars) + NOTE_OVERHEAD * int(note_count) + int(image_chars) + IMAGE_OVERHEAD * int(image_count),
        int(memory_chars) + MEMORY_OVERHEAD * int(memory_count),
        int(image_count),
    )


async def gather(session: AsyncSession, project_id: uuid.UUID) -> Material:
    project = await session.get(Project, project_id)
    if project is None:
        raise LookupError("project gone")
    notes = list(
        await session.exec(
            select(ProjectNote)
            .where(ProjectNote.project_id == project_id)
            .order_by(col(ProjectNote.created_at), col(ProjectNote.id))
        )
    )
    images = list(
        await session.exec(
            select(NoteImage)
            .where(col(NoteImage.note_id).in_([n.id for n in notes]))
            .order_by(col(NoteImage.sort_order), col(NoteImage.created_at), col(NoteImage.id))
        )
    )
    memory = list(
        await session.exec(
            select(MemoryEntry)
            .where(or_(col(MemoryEntry.project_id) == project_id, col(MemoryEntry.project_id).is_(None)))
            .order_by(col(MemoryEntry.updated_at).desc())
            .limit(MEMORY_ENTRIES_MAX)
        )
    )
    # An "automatic" project uses the workspace's first reachable model (services/llm/choice.py).
    model = (await choice.project_model(session, project)).ref
    material = Material(project.name, project.description, model, "", "")
    blocks: list[str] = []
    for n_index, note in enumerate(notes, start=1):
        ref = f"N{n_index}"
        material.sources[ref] = {"kind": "note", "id": str(note.id), "title": note.title}
        lines = [f"### [{ref}] {note.title}", note.content.strip() or "(no text)"]
        mine = [i for i in images if i.note_id == note.id]
        for i_index, image in enumerate(mine, start=1):
            iref = f"{ref}.{i_index}"
            material.sources[iref] = {
                "kind": "image",
                "id": str(image.id),
                "note_id": str(note.id),
                "title": note.title,
            }
            material.images.append(
                ImageRef(
                    iref,
                    str(image.id),
                    str(note.id),
                    image.image_key,
                    image.content_type,
                    image.description,
                    image.bytes,
                )
            )
            lines.append(f"[{iref}] image: {image.description or '(no description)'}")
        blocks.append("\n".join(lines))
    material.notes = "\n\n".join(blocks) if blocks else "(This project has no notes yet.)"
    material.memory = (
        "\n\n".join(f"### {m.title}\n{m.content.strip()}" for m in memory) if memory else "(No memory entries.)"
    )
    return material


async def load_images(images: list[ImageRef]) -> tuple[list[ImageInput], str]:
    """The stored images to send, within the per-request limits; and a note of what was left out."""
    settings = get_settings()
    chosen: list[ImageRef] = []
    total = 0
    for image in images:
        if len(chosen) >= settings.run_max_images or total + image.bytes > settings.run_max_image_bytes:
            break
        chosen.append(image)
        total += image.bytes
    storage = get_storage()

    def read(image: ImageRef) -> ImageInput | None:
        try:
            return ImageInput(storage.get(image.key), image.content_type)
        except StorageError:
            return None

    # Reading files or S3 objects is I/O: threads release the GIL while they wait.
    loaded = await asyncio.gather(*(asyncio.to_thread(read, i) for i in chosen))
    inputs = [i for i in loaded if i is not None]
    left_out = len(images) - len(inputs)
    note = f"{left_out} of {len(images)} images were not sent (limits per request)." if left_out else ""
    return inputs, note
