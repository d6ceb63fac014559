"""Page-level reads: everything a page shows, in the caller's one transaction, as small views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.note_image import NoteImagePublic
from nyx_app.models.project import Project
from nyx_app.services import enrichment, image_descriptions, note_drafts, note_images, notes
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.note_drafts import Draft
from nyx_app.services.notes import NoteDetail, NoteListing, NoteQuery
from nyx_app.services.permissions import Action
from nyx_app.services.projects import get_project
from nyx_app.services.validation import parse_id


@dataclass(frozen=True, slots=True)
class ProjectPage:
    project: Project
    notes: NoteListing


async def project_page(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, query: NoteQuery
) -> ProjectPage:
    """The project and the first page of its notes."""
    project = await get_project(session, ctx, project_id)
    return ProjectPage(project, await notes.list_cards(session, ctx, project.id, query))


@dataclass(frozen=True, slots=True)
class NotePage:
    note: NoteDetail
    project_name: str
    images: list[NoteImagePublic]
    draft: Draft | None  # this user's unsaved text, if any
    may_delete: bool
    may_remove_images: bool
    may_publish: bool = False  # mark the note public (owners and admins)
    open_enrichment: str = ""  # an enrichment of the note still running or waiting for a decision
    # Said once for the note, not per image: images wait for a description no model can write.
    vision_problem: str = ""


async def note_page(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, note_id: str | uuid.UUID
) -> NotePage:
    """A note under its project's URL; a valid note id under another project's URL is not found,
    the same as a deleted note, a made-up id or another tenant's note."""
    note = await notes.get_note(session, ctx, note_id)
    if note.project_id != parse_id(project_id, "Note"):
        raise NotFound("Note not found.")
    project = await get_project(session, ctx, note.project_id)
    images = await note_images.list_images(session, ctx, note.id)
    waiting = any(not i.description and not i.description_source for i in images)
    vision = await image_descriptions.vision_model(session, ctx, project.llm_model) if waiting else "-"
    open_enrichment = await enrichment.latest_for_note(session, ctx, note.id)
    return NotePage(
        note=NoteDetail.of(note),
        project_name=project.name,
        images=images,
        draft=await note_drafts.get_draft(session, ctx, note.id),
        may_delete=ctx.may(Action.NOTE_DELETE, author_id=note.created_by),
        may_remove_images=ctx.may(Action.IMAGE_DELETE, author_id=note.created_by),
        may_publish=ctx.may(Action.NOTE_PUBLISH),
        open_enrichment=str(open_enrichment.id) if open_enrichment else "",
        vision_problem=image_descriptions.NO_VISION if vision is None else "",
    )
