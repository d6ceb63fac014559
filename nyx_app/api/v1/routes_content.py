"""Projects, notes (with images), memory entries and search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile
from starlette.responses import Response

from nyx_app.api.v1.deps import AnyCaller, Cursor, Reader, create_once, limit_query, scoped, tenant_session
from nyx_app.api.v1.schemas import (
    Me,
    MemoryIn,
    MemoryOut,
    NoteIn,
    NoteOut,
    NoteWithImages,
    PageOut,
    ProjectIn,
    ProjectOut,
    SearchHitOut,
)
from nyx_app.services import api_reads, memory, note_images, notes, projects
from nyx_app.services.api_tokens import Caller
from nyx_app.services.errors import InvalidFields, InvalidInput
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.permissions import Scope
from nyx_app.settings import get_settings

router = APIRouter()
Writer = Annotated[Caller, Depends(scoped(Scope.WRITE))]
IMAGES_FIELD = "images"


@router.get("/me", response_model=Me, tags=["account"], summary="Who the token acts for")
async def me(caller: AnyCaller) -> Me:
    return Me(
        user_id=caller.ctx.user_id,
        workspace_id=caller.ctx.tenant_id,
        role=caller.ctx.role.value,
        scopes=sorted(caller.ctx.scopes or ()),
        token_id=caller.token_id,
        token_name=caller.token_name,
    )


@router.get("/projects", response_model=PageOut[ProjectOut], tags=["projects"], summary="List projects")
async def list_projects(caller: Reader, cursor: Cursor = None, limit: int = limit_query()) -> PageOut[ProjectOut]:
    async with tenant_session(caller) as session:
        page = await api_reads.projects(session, caller.ctx, cursor, limit)
    return PageOut(items=[ProjectOut.model_validate(p) for p in page.items], next_cursor=page.next_cursor)


@router.post("/projects", status_code=201, response_model=ProjectOut, tags=["projects"], summary="Create a project")
async def create_project(request: Request, body: ProjectIn, caller: Writer) -> Response:
    async def make(session: AsyncSession) -> tuple[ProjectOut, str]:
        project = await projects.create_project(session, caller.ctx, body.name, body.description)
        return ProjectOut.model_validate(project), f"/api/v1/projects/{project.id}"

    return await create_once(request, caller, make)


@router.get("/projects/{project_id}", response_model=ProjectOut, tags=["projects"], summary="Read a project")
async def read_project(project_id: str, caller: Reader) -> ProjectOut:
    async with tenant_session(caller) as session:
        return ProjectOut.model_validate(await projects.get_project(session, caller.ctx, project_id))


@router.get(
    "/projects/{project_id}/notes", response_model=PageOut[NoteOut], tags=["notes"], summary="List a project's notes"
)
async def list_notes(
    project_id: str, caller: Reader, cursor: Cursor = None, limit: int = limit_query()
) -> PageOut[NoteOut]:
    async with tenant_session(caller) as session:
        page = await api_reads.project_notes(session, caller.ctx, project_id, cursor, limit)
    return PageOut(items=[NoteOut.model_validate(n) for n in page.items], next_cursor=page.next_cursor)


async def _checked_images(files: list[UploadFile]) -> list[note_images.CheckedFile]:
    """Every image decoded and re-encoded before anything is written; one bad file refuses all."""
    if not files:
        return []
    limit = get_settings().upload_max_bytes
    incoming = [IncomingFile(f.filename or "image", await f.read(limit + 1)) for f in files]
    checked = await note_images.check_files(incoming)
    bad = {f"{IMAGES_FIELD}[{i}]": f"{c.name}: {c.error}" for i, c in enumerate(checked) if c.image is None}
    if bad:
        raise InvalidFields(bad)
    return checked


async def _save_images(
    session: AsyncSession, caller: Caller, note_id: str, checked: list[note_images.CheckedFile]
) -> None:
    results = await note_images.save_images(session, caller.ctx, note_id, checked)
    failed = [r for r in results if not r.ok]
    if failed:  # storage trouble: the transaction rolls back and removes what was stored
        raise InvalidInput(failed[0].error)


async def _note_out(session: AsyncSession, caller: Caller, note_id: str) -> NoteWithImages:
    note = await notes.get_note(session, caller.ctx, note_id)
    images = await note_images.list_images(session, caller.ctx, note.id)
    return NoteWithImages.model_validate({**NoteOut.model_validate(note).model_dump(), "images": images})


@router.post(
    "/projects/{project_id}/notes",
    status_code=201,
    response_model=NoteWithImages,
    tags=["notes"],
    summary="Create a note (JSON), or a note with images (multipart: title, content, images)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/NoteIn"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["title"],
                        "properties": {
                            "title": {"type": "string"},
                            "content": {"type": "string"},
                            IMAGES_FIELD: {"type": "array", "items": {"type": "string", "format": "binary"}},
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
async def create_note(project_id: str, request: Request, caller: Writer) -> Response:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        texts, checked = await _form_images(request)
        title, content = texts.get("title", ""), texts.get("content", "")
    else:
        body = NoteIn.model_validate_json(await request.body())
        title, content, checked = body.title, body.content, []

    async def make(session: AsyncSession) -> tuple[NoteWithImages, str]:
        note = await notes.create_note(session, caller.ctx, project_id, title, content)
        if checked:
            await _save_images(session, caller, str(note.id), checked)
        return await _note_out(session, caller, str(note.id)), f"/api/v1/notes/{note.id}"

    return await create_once(request, caller, make)


@router.get("/notes/{note_id}", response_model=NoteWithImages, tags=["notes"], summary="Read a note and its images")
async def read_note(note_id: str, caller: Reader) -> NoteWithImages:
    async with tenant_session(caller) as session:
        return await _note_out(session, caller, note_id)


def _multipart(*required: str) -> dict[str, object]:
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": list(required),
                        "properties": {
                            "title": {"type": "string"},
                            "content": {"type": "string"},
                            IMAGES_FIELD: {"type": "array", "items": {"type": "string", "format": "binary"}},
                        },
                    }
                }
            },
            "required": True,
        }
    }


async def _form_images(request: Request) -> tuple[dict[str, str], list[note_images.CheckedFile]]:
    """The multipart form's text fields and its images, checked. The raw body is read first, so the
    idempotency fingerprint (create_once) can still hash it."""
    await request.body()
    settings = get_settings()
    form = await request.form(max_files=settings.upload_max_files, max_fields=10, max_part_size=2 * 1024 * 1024)
    uploads = [f for f in form.getlist(IMAGES_FIELD) if isinstance(f, UploadFile)]
    texts = {k: v for k, v in form.items() if isinstance(v, str)}
    return texts, await _checked_images(uploads)


@router.post(
    "/notes/{note_id}/images",
    status_code=201,
    response_model=NoteWithImages,
    tags=["notes"],
    summary="Add images to a note (multipart: images)",
    openapi_extra=_multipart(IMAGES_FIELD),
)
async def add_images(note_id: str, request: Request, caller: Writer) -> Response:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("Send the images as multipart/form-data, in the field 'images'.")
    _, checked = await _form_images(request)
    if not checked:
        raise InvalidFields({IMAGES_FIELD: "Send at least one image."})

    async def make(session: AsyncSession) -> tuple[NoteWithImages, str]:
        await _save_images(session, caller, note_id, checked)
        return await _note_out(session, caller, note_id), f"/api/v1/notes/{note_id}"

    return await create_once(request, caller, make)


@router.get("/memory", response_model=PageOut[MemoryOut], tags=["memory"], summary="List or search memory entries")
async def list_memory(
    caller: Reader,
    q: Annotated[str, Query(max_length=500, description="Full-text search (web search syntax) or a tag.")] = "",
    tag: Annotated[str, Query(max_length=40)] = "",
    project_id: str | None = None,
    cursor: Cursor = None,
    limit: int = limit_query(),
) -> PageOut[MemoryOut]:
    async with tenant_session(caller) as session:
        page = await api_reads.memory_entries(
            session, caller.ctx, query=q, tag=tag, project_id=project_id, cursor=cursor, limit=limit
        )
    return PageOut(items=[MemoryOut.model_validate(e) for e in page.items], next_cursor=page.next_cursor)


@router.post("/memory", status_code=201, response_model=MemoryOut, tags=["memory"], summary="Add a memory entry")
async def create_memory(request: Request, body: MemoryIn, caller: Writer) -> Response:
    async def make(session: AsyncSession) -> tuple[MemoryOut, str]:
        entry = await memory.create_entry(
            session,
            caller.ctx,
            title=body.title,
            content=body.content,
            tags=body.tags,
            project_id=str(body.project_id) if body.project_id else None,
        )
        return MemoryOut.model_validate(entry), f"/api/v1/memory/{entry.id}"

    return await create_once(request, caller, make)


@router.get("/memory/{entry_id}", response_model=MemoryOut, tags=["memory"], summary="Read a memory entry")
async def read_memory(entry_id: str, caller: Reader) -> MemoryOut:
    async with tenant_session(caller) as session:
        return MemoryOut.model_validate(await memory.get_entry(session, caller.ctx, entry_id))


@router.get(
    "/search",
    response_model=list[SearchHitOut],
    tags=["search"],
    summary="Search the workspace by meaning and by words",
)
async def search(
    caller: Reader,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=api_reads.SEARCH_MAX)] = 20,
) -> list[SearchHitOut]:
    hits = await api_reads.search(caller.ctx, q, limit)
    return [
        SearchHitOut(
            kind=h.kind, id=h.id, project_id=h.project_id, title=h.title, excerpt=h.excerpt, matched_by=h.matched_by
        )
        for h in hits
    ]
