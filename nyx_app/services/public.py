"""The public, read-only page of a published project: its name, description and the notes marked
public, with their images. For visitors without a login; nothing else of the tenant.

How the read path is kept from reading anything else: it never sets a tenant. It opens
``db.session.public_transaction(project_id)``, a READ ONLY transaction that sets only
``app.public_project_id``; row-level security still applies to every table, and the only
policies that admit a row without a tenant are the ``public_read`` policies (db/rls.py,
migration 0009): the project with that id *if it is published*, that project's notes *marked
public*, and the images of those notes. Every other row of every tenant table (other projects,
private notes, memory, keys, members) compares its tenant with NULL and is invisible, whatever a
query here asked for; nothing can be written. Unpublishing (or making a note private) is seen by
the very next request. This was chosen over a lookup table that sets the tenant (which would
leave the whole tenant readable to the code on this path) and over a SECURITY DEFINER function
(forced RLS binds the owner role too, so the function would need to set a tenant itself).

Ids that are unknown, unpublished, private or another project's all answer the same NotFound.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select

from nyx_app.db.session import public_transaction
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project, ProjectNote
from nyx_app.services.errors import NotFound
from nyx_app.services.validation import parse_id

NOT_PUBLISHED = "This page does not exist, or it is no longer published."


@dataclass(frozen=True, slots=True)
class PublicImage:
    id: uuid.UUID
    description: str
    width: int
    height: int
    file_name: str = ""


@dataclass(frozen=True, slots=True)
class PublicNote:
    id: uuid.UUID
    title: str
    content: str  # Markdown: pages render it with integrations.markdown.render
    updated_at: datetime
    images: list[PublicImage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PublicProject:
    id: uuid.UUID
    name: str
    description: str
    notes: list[PublicNote]


def _project_id(project_id: str | uuid.UUID) -> uuid.UUID:
    try:
        return parse_id(project_id, "Page")
    except NotFound:
        raise NotFound(NOT_PUBLISHED) from None


async def public_project(project_id: str | uuid.UUID) -> PublicProject:
    pid = _project_id(project_id)
    async with public_transaction(pid) as session:
        # The filters repeat what the policies already enforce (belt and braces).
        project = (await session.exec(select(Project).where(Project.id == pid, col(Project.published)))).first()
        if project is None:
            raise NotFound(NOT_PUBLISHED)
        notes = list(
            await session.exec(
                select(ProjectNote)
                .where(ProjectNote.project_id == pid, col(ProjectNote.public))
                .order_by(col(ProjectNote.created_at))
            )
        )
        images = await session.exec(
            select(NoteImage)
            .where(col(NoteImage.note_id).in_([n.id for n in notes]))
            .order_by(col(NoteImage.sort_order), col(NoteImage.created_at), col(NoteImage.id))
        )
        by_note: dict[uuid.UUID, list[PublicImage]] = {}
        for image in images:
            by_note.setdefault(image.note_id, []).append(
                PublicImage(image.id, image.description, image.width, image.height, image.file_name)
            )
        return PublicProject(
            project.id,
            project.name,
            project.description,
            [PublicNote(n.id, n.title, n.content, n.updated_at, by_note.get(n.id, [])) for n in notes],
        )


@dataclass(frozen=True, slots=True)
class PublicImageFile:
    image_key: str
    thumb_key: str
    content_type: str


async def public_image(project_id: str | uuid.UUID, image_id: str | uuid.UUID) -> PublicImageFile:
    """The stored keys of an image of a public note of this published project."""
    pid = _project_id(project_id)
    try:
        iid = parse_id(image_id, "Image")
    except NotFound:
        raise NotFound(NOT_PUBLISHED) from None
    async with public_transaction(pid) as session:
        image = (await session.exec(select(NoteImage).where(NoteImage.id == iid))).first()
        if image is None:
            raise NotFound(NOT_PUBLISHED)
        return PublicImageFile(image.image_key, image.thumb_key, image.content_type)
