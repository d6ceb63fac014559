"""A note: its title, rendered markdown, and its image gallery (upload, describe, reorder, remove)."""

from __future__ import annotations

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.api.images import image_url, thumb_url
from nyx_app.components.image_gallery import (
    UPLOAD_ID,
    FileOutcome,
    ImageCard,
    PendingFile,
    drop_zone,
    dropped_file_summaries,
    image_card,
    split_progress,
    upload_outcomes,
)
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import not_found_view, page_header
from nyx_app.integrations import markdown
from nyx_app.integrations.images import display_name
from nyx_app.models.note_image import NoteImagePublic
from nyx_app.services import note_images, notes, views
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.permissions import Action
from nyx_app.settings import get_settings
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action


def _size_label(image: NoteImagePublic) -> str:
    size = f"{image.bytes / 1_048_576:.1f} MB" if image.bytes >= 1_048_576 else f"{image.bytes // 1024 + 1} KB"
    return f"{image.width} x {image.height} px, {size}"


def _card(image: NoteImagePublic) -> ImageCard:
    return ImageCard(
        id=str(image.id),
        thumb_path=thumb_url(image.id),
        full_path=image_url(image.id),
        description=image.description,
        size_label=_size_label(image),
    )


class NoteState(AuthState):
    found: bool = True
    loaded: bool = False
    title: str = ""
    content_html: str = ""  # the note's Markdown, rendered and sanitised on the server
    project_link: str = ""
    images: list[ImageCard] = []
    outcomes: list[FileOutcome] = []
    uploading: bool = False
    pending: list[PendingFile] = []
    may_remove_images: bool = False
    project_name: str = ""
    # Shown on the project's public page while the project is published; owners and admins decide.
    public: bool = False
    may_publish_note: bool = False
    # The note this page shows, fixed at load; every event looks it up again under RLS.
    _note_id: str = ""

    def _show(self, images: list[NoteImagePublic]) -> None:
        self.images = [_card(i) for i in images]

    async def _reload_images(self) -> None:
        note_id = self._note_id
        self._show(await self._in_tenant(lambda s, c: note_images.list_images(s, c, note_id)))

    @rx.event
    @user_action
    async def load(self):
        self._note_id, project_id = self.note_id, self.project_id  # type: ignore[attr-defined]
        self.outcomes, self.uploading, self.pending = [], False, []

        async def read(s: AsyncSession, c: TenantContext):
            # A valid note id under another project's URL is not found either.
            view = await views.note_page(s, c, project_id, self._note_id)
            self.may_remove_images = c.may(Action.IMAGE_DELETE, author_id=view.note.created_by)
            self.may_publish_note = c.may(Action.NOTE_PUBLISH)
            return view

        self.title, self.content_html, self.project_link, self.images = "", "", routes.project_url(project_id), []
        self.found, self.loaded = True, False
        try:
            view = await self._in_tenant(read)  # the session resolved once, one transaction
        except NotFound:
            # Same answer for a deleted note, a random id and another tenant's note.
            self.found, self.loaded = False, True
            return
        self.title, self.content_html = view.note.title, markdown.render(view.note.content)
        self.project_name, self.public = view.project_name, view.note.public
        self._show(view.images)
        self.loaded = True

    @rx.event
    @user_action
    async def set_public(self, public: bool):
        note_id = self._note_id
        note = await self._in_tenant(lambda s, c: notes.set_public(s, c, note_id, public))
        self.public = note.public
        if note.public:
            return toasts.done(
                "The note is public: it shows on the project's public page while the project is published."
            )
        return toasts.done("The note is private again.")

    @rx.event
    def files_chosen(self, chosen: list[dict]):
        self.outcomes = []
        self.pending = [PendingFile(display_name(str(f.get("name", ""))), int(f.get("size") or 0)) for f in chosen]
        self.uploading = bool(self.pending)

    @rx.event
    def track_progress(self, status: dict):
        percents = split_progress([p.size for p in self.pending], float(status.get("progress", 0)))
        self.pending = [PendingFile(p.name, p.size, pc) for p, pc in zip(self.pending, percents, strict=True)]

    @rx.event
    @user_action
    async def handle_upload(self, files: list[rx.UploadFile]):
        """Image work runs in threads inside the service; this handler only reads and reports."""
        self.outcomes = []
        try:
            await self._require()  # no image work for a signed-out visitor
            note_images.check_drop_size(len(files))
            # One byte over the limit is enough for the service to refuse an oversize file.
            limit = get_settings().upload_max_bytes + 1
            incoming = [IncomingFile(f.filename or "", await f.read(limit)) for f in files]
            checked = await note_images.check_files(incoming)  # before the transaction: no idle connection
            note_id = self._note_id
            results = await self._in_tenant(lambda s, c: note_images.save_images(s, c, note_id, checked))
        finally:
            self.uploading, self.pending = False, []
        self.outcomes = [FileOutcome(r.name, r.ok, "added" if r.ok else r.error) for r in results]
        await self._reload_images()
        saved = sum(r.ok for r in results)
        if saved == len(results):
            return rx.toast.success(f"{saved} image{'s' if saved != 1 else ''} added")
        return rx.toast.warning(f"{saved} of {len(results)} files added; see the messages above the gallery.")

    @rx.event
    @user_action
    async def save_description(self, image_id: str, description: str):
        current = next((i for i in self.images if i.id == image_id), None)
        if current is not None and current.description == description.strip():
            return None  # blur without a change: nothing to save
        await self._in_tenant(lambda s, c: note_images.update_description(s, c, image_id, description))
        await self._reload_images()
        return rx.toast.success("Description saved")

    @rx.event
    @user_action
    async def move(self, image_id: str, offset: int):
        self._show(await self._in_tenant(lambda s, c: note_images.move_image(s, c, image_id, offset)))

    @rx.event
    @user_action
    async def remove(self, image_id: str):
        await self._in_tenant(lambda s, c: note_images.remove_image(s, c, image_id))
        await self._reload_images()
        return rx.toast.success("Image removed")


def _upload_hint() -> str:
    s = get_settings()
    return f"PNG, JPEG, WebP or GIF; up to {s.upload_max_files} files, {s.upload_max_bytes // 1_048_576} MB each"


def _gallery() -> rx.Component:
    return rx.cond(
        NoteState.images.length() > 0,  # type: ignore[attr-defined]
        rx.grid(
            rx.foreach(
                NoteState.images,
                lambda image, index: image_card(
                    image,
                    index,
                    NoteState.images.length(),  # type: ignore[attr-defined]
                    on_describe=NoteState.save_description,
                    on_move=NoteState.move,
                    on_remove=NoteState.remove,
                    can_remove=NoteState.may_remove_images,
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            spacing="3",
            width="100%",
            id="image-gallery",
        ),
        rx.text("No images yet.", size="2", color_scheme="gray", id="no-images"),
    )


def _not_found() -> rx.Component:
    return not_found_view("Note not found", "It does not exist, or it is not in your current workspace.")


def _public_switch() -> rx.Component:
    return rx.cond(
        NoteState.may_publish_note,
        rx.text(
            rx.hstack(
                rx.switch(checked=NoteState.public, on_change=NoteState.set_public, id="note-public"),
                rx.text("Public", weight="medium"),
                rx.text("shown on the project's public page while the project is published", color_scheme="gray"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            as_="label",
            size="2",
        ),
        rx.cond(NoteState.public, rx.badge("public", color_scheme="green")),
    )


def _note() -> rx.Component:
    return rx.vstack(
        page_header(
            NoteState.title,
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (NoteState.project_name, NoteState.project_link),
                (NoteState.title, ""),
            ],
            id="note-title",
        ),
        _public_switch(),
        error_callout(NoteState.error),
        markdown_view(NoteState.content_html, class_name="note-content"),
        rx.heading("Images", size="4"),
        drop_zone(
            [
                NoteState.files_chosen(dropped_file_summaries()),
                NoteState.handle_upload(
                    rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=NoteState.track_progress)  # type: ignore[call-arg]
                ),
            ],
            NoteState.uploading,
            NoteState.pending,
            _upload_hint(),
        ),
        upload_outcomes(NoteState.outcomes),
        _gallery(),
        spacing="4",
        width="100%",
    )


@signed_in_page(section="projects")
def note_page() -> rx.Component:
    return rx.cond(NoteState.found, rx.cond(NoteState.loaded, _note(), rx.spinner()), _not_found())
