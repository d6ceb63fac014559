"""A note's images on its page: drops (on the drop zone, or pasted into the editor), the gallery
(describe, reorder, remove) and the lightbox.

A drop is received by a background event reading the upload as it streams in: the image work
runs in the worker processes and each file is saved on its own (services/image_intake.py), so the
page's state is locked only for the moment a finished card is added, and clicks stay quick.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

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
    lightbox,
    refusal_message,
    rejected_file_summaries,
    split_progress,
    upload_outcomes,
)
from nyx_app.components.note_editor import (
    PASTE_UPLOAD_ID,
    end_of_paste,
    image_markdown,
    paste_uploader,
    resolve_placeholder,
)
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.integrations.images import ACCEPTED_LABEL, display_name
from nyx_app.live.hub import hub
from nyx_app.live.sessions import sessions
from nyx_app.models.note_image import NoteImagePublic
from nyx_app.services import auth, image_intake, note_images, trash
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import ServiceError
from nyx_app.services.note_images import FileResult
from nyx_app.settings import get_settings
from nyx_app.state.session import UNEXPECTED, AuthState, user_action
from nyx_app.state.trash import moved

log = logging.getLogger(__name__)


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
        order=image.sort_order,
        file_name=image.file_name or f"image {image.sort_order + 1}",
        by_ai=image.description_source == "ai",
    )


def dropped_order(ids: list[str], value: str) -> list[str] | None:
    """The order after dragging one image onto another ("dragged>target"): it takes the target's
    place, the others shift. None when the value names images that are not (or no longer) here."""
    dragged, _, target = value.partition(">")
    if dragged not in ids or target not in ids or dragged == target:
        return None
    order = [i for i in ids if i != dragged]
    at = ids.index(target)
    order.insert(at, dragged)
    return order


class NoteGalleryState(AuthState):
    images: list[ImageCard] = []
    outcomes: list[FileOutcome] = []
    uploading: bool = False
    pending: list[PendingFile] = []
    pasting: int = 0
    may_remove: bool = False
    max_files: int = 0
    max_bytes: int = 0
    # The lightbox: the index of the image shown, -1 when closed.
    viewing: int = -1
    zoomed: bool = False  # the lightbox shows the image at its own size (scrolling), not fitted
    # Images without a description wait for a model no provider offers: said once, not per image.
    vision_problem: str = ""
    # The note this page shows, fixed at load; every event looks it up again under RLS.
    _note_id: str = ""
    _watch_gen: int = 0

    def show(self, note_id: str, images: list[NoteImagePublic], may_remove: bool, vision_problem: str = "") -> None:
        """Called by the note page's load, with what it read in its one transaction."""
        settings = get_settings()
        self._note_id, self.may_remove, self.vision_problem = note_id, may_remove, vision_problem
        self._watch_gen += 1
        self.images = [_card(i) for i in images]
        self.outcomes, self.uploading, self.pending, self.pasting, self.viewing = [], False, [], 0, -1
        self.max_files, self.max_bytes = settings.upload_max_files, settings.upload_max_bytes

    @rx.var
    def upload_hint(self) -> str:
        return f"{ACCEPTED_LABEL}; up to {self.max_files} files, {self.max_bytes // 1_048_576} MB each"

    async def _reload(self) -> None:
        note_id = self._note_id
        self.images = [_card(i) for i in await self._in_tenant(lambda s, c: note_images.list_images(s, c, note_id))]

    @rx.event(background=True)
    async def watch_images(self):
        """Descriptions written in the background (services/image_descriptions.py) appear live: the
        job announces each on the note's key; the cards are read again (started by the page's load;
        a newer load retires it)."""
        async with self:
            gen, token, note_id = self._watch_gen, self._session_token(), self._note_id
        if not note_id:
            return
        async with hub().watch(RUNS_CHANNEL, note_id) as changed, sessions().watching():
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=30.0)
                changed.clear()
                ident = await sessions().resolve(token)
                if ident is None:
                    return
                ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
                try:
                    async with transaction(ctx.tenant_id, ctx.user_id) as session:
                        images = await note_images.list_images(session, ctx, note_id)
                except ServiceError:
                    return
                except Exception:  # the database away for a moment: the next round tries again
                    continue
                async with self:
                    if self._watch_gen != gen or self._note_id != note_id:
                        return
                    cards = [_card(i) for i in images]
                    if cards != self.images:
                        self.images = cards

    @rx.event
    @user_action
    async def claim_description(self, image_id: str):
        """The user clicked into an empty description: the background describer leaves it alone."""
        await self._in_tenant(lambda s, c: note_images.claim_description(s, c, image_id))

    # --- drops ---------------------------------------------------------------------------------

    @rx.event
    def files_chosen(self, chosen: list[dict]):
        self.outcomes, self.error = [], ""
        self.pending = [
            PendingFile(display_name(str(f.get("name", ""))), int(f.get("size") or 0), 0, i)
            for i, f in enumerate(chosen)
        ]
        self.uploading = bool(self.pending)

    @rx.event
    def track_progress(self, status: dict):
        percents = split_progress([p.size for p in self.pending], float(status.get("progress", 0)))
        self.pending = [PendingFile(p.name, p.size, pc, p.index) for p, pc in zip(self.pending, percents, strict=True)]

    @rx.event
    def paste_chosen(self, chosen: list[dict]):
        self.outcomes, self.error, self.pasting = [], "", len(chosen)

    @rx.event
    def drop_refused(self, rejected: list[dict]):
        """The browser refused files before sending them; say which and why."""
        self.error = refusal_message(rejected)

    @rx.event(background=True)
    async def receive_images(self, chunks: rx.UploadChunkIterator):
        async for event in self._receive(chunks, pasted=False):
            yield event

    @rx.event(background=True)
    async def receive_pasted(self, chunks: rx.UploadChunkIterator):
        async for event in self._receive(chunks, pasted=True):
            yield event

    async def _receive(self, chunks: rx.UploadChunkIterator, *, pasted: bool) -> AsyncIterator[Any]:
        """Each file's card is added the moment that file is saved; the lock is held only then."""
        results: list[FileResult] = []
        try:
            ident = await auth.resolve(self._session_token())
            if ident is None:
                yield rx.redirect(routes.LOGIN)
                return
            ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
            note_id = self._note_id
            files = image_intake.files_from_chunks(chunks, get_settings().upload_max_bytes)
            async for result in image_intake.intake(ctx, note_id, files):
                results.append(result)
                async with self:
                    if self._note_id == note_id:  # the user may have opened another note meanwhile
                        self._add(result)
                if pasted:
                    path = result.image and image_url(result.image.id)
                    yield resolve_placeholder(result.index, image_markdown(result.name, path) if path else "")
        except ServiceError as refused:
            async with self:
                self.error = refused.message
        except Exception:
            log.exception("receiving a drop of images failed")
            async with self:
                self.error = UNEXPECTED
        finally:
            async with self:
                self.uploading, self.pending, self.pasting = False, [], 0
        if pasted:
            yield end_of_paste()
        if results:
            yield _summary(results)

    def _add(self, result: FileResult) -> None:
        self.pending = [p for p in self.pending if p.index != result.index]
        self.outcomes = [*self.outcomes, FileOutcome(result.name, result.ok, "added" if result.ok else result.error)]
        if result.image is not None:
            card = _card(result.image)
            at = bisect.bisect_right([c.order for c in self.images], card.order)
            self.images = [*self.images[:at], card, *self.images[at:]]

    # --- the gallery ---------------------------------------------------------------------------

    @rx.event
    @user_action
    async def save_description(self, image_id: str, description: str):
        current = next((i for i in self.images if i.id == image_id), None)
        if current is not None and current.description == description.strip():
            return None  # blur without a change: nothing to save
        await self._in_tenant(lambda s, c: note_images.update_description(s, c, image_id, description))
        await self._reload()
        return rx.toast.success("Description saved")

    @rx.event
    @user_action
    async def move(self, image_id: str, offset: int):
        moved = await self._in_tenant(lambda s, c: note_images.move_image(s, c, image_id, offset))
        self.images = [_card(i) for i in moved]

    @rx.event
    @user_action
    async def drop_move(self, value: str):
        """An image dragged onto another (assets/nyx.js fills the hidden input with "dragged>target")."""
        order = dropped_order([i.id for i in self.images], value)
        if order is None:
            return
        note_id = self._note_id
        moved = await self._in_tenant(lambda s, c: note_images.reorder(s, c, note_id, order))
        self.images = [_card(i) for i in moved]

    @rx.event
    def toggle_zoom(self):
        self.zoomed = not self.zoomed

    @rx.event
    @user_action
    async def remove(self, image_id: str):
        binned = await self._in_tenant(lambda s, c: trash.trash_image(s, c, image_id))
        await self._reload()
        self.viewing = -1
        return moved(binned)

    # --- the lightbox --------------------------------------------------------------------------

    @rx.var
    def viewed(self) -> ImageCard:
        if 0 <= self.viewing < len(self.images):
            return self.images[self.viewing]
        return ImageCard("", "", "", "", "")

    @rx.var
    def viewed_name(self) -> str:
        return self.viewed.file_name

    @rx.var
    def viewed_position(self) -> str:
        return f"{self.viewing + 1} of {len(self.images)}" if self.viewing >= 0 else ""

    @rx.event
    def open_image(self, index: int):
        self.viewing = index if 0 <= index < len(self.images) else -1
        self.zoomed = False

    @rx.event
    def lightbox_changed(self, is_open: bool):
        if not is_open:
            self.viewing = -1

    def _step(self, step: int) -> None:
        if self.images and self.viewing >= 0:
            self.viewing = (self.viewing + step) % len(self.images)
            self.zoomed = False

    @rx.event
    def step_image(self, step: int):
        self._step(step)

    @rx.event
    def lightbox_key(self, key: str):
        if key in ("ArrowLeft", "ArrowRight"):
            self._step(-1 if key == "ArrowLeft" else 1)


def _summary(results: list[FileResult]) -> Any:
    saved = sum(r.ok for r in results)
    if saved == len(results):
        return rx.toast.success(f"{saved} image{'s' if saved != 1 else ''} added")
    return rx.toast.warning(f"{saved} of {len(results)} files added; see the messages above the gallery.")


def _gallery() -> rx.Component:
    S = NoteGalleryState
    return rx.cond(
        S.images.length() > 0,  # type: ignore[attr-defined]
        rx.grid(
            rx.foreach(
                S.images,
                lambda image, index: image_card(
                    image,
                    index,
                    S.images.length(),  # type: ignore[attr-defined]
                    on_describe=S.save_description,
                    on_focus_description=S.claim_description,
                    on_move=S.move,
                    on_remove=S.remove,
                    on_open=S.open_image,
                    can_remove=S.may_remove,
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            spacing="3",
            width="100%",
            id="image-gallery",
            data_reorder="image-reorder-input",
        ),
        rx.text("No images yet.", size="2", color_scheme="gray", id="no-images"),
    )


def editor_uploader() -> rx.Component:
    """The hidden uploader the editor hands pasted or dropped images to."""
    S = NoteGalleryState
    return paste_uploader(
        [S.paste_chosen(dropped_file_summaries()), S.receive_pasted(rx.upload_files_chunk(upload_id=PASTE_UPLOAD_ID))],
        S.drop_refused(rejected_file_summaries()),
        max_files=S.max_files,
        max_bytes=S.max_bytes,
    )


def gallery_section() -> rx.Component:
    S = NoteGalleryState
    return rx.vstack(
        rx.hstack(
            rx.heading("Images", size="4"),
            rx.cond(S.pasting > 0, rx.text(f"Adding {S.pasting} pasted image(s)…", size="1", id="paste-progress")),
            align="center",
            spacing="3",
        ),
        drop_zone(
            [
                S.files_chosen(dropped_file_summaries()),
                S.receive_images(
                    rx.upload_files_chunk(upload_id=UPLOAD_ID, on_upload_progress=S.track_progress)  # type: ignore[call-arg]
                ),
            ],
            S.drop_refused(rejected_file_summaries()),
            S.uploading,
            S.pending,
            S.upload_hint,
            max_files=S.max_files,
            max_bytes=S.max_bytes,
        ),
        upload_outcomes(S.outcomes),
        rx.cond(
            S.vision_problem != "",
            rx.callout(S.vision_problem, icon="eye-off", color_scheme="gray", size="1", id="no-vision-model"),
        ),
        _gallery(),
        lightbox(
            S.viewing >= 0,
            S.viewed.full_path,
            S.viewed.description,
            S.viewed_position,
            on_close=S.lightbox_changed,
            on_step=S.step_image,
            on_key=S.lightbox_key,
            file_name=S.viewed_name,
            zoomed=S.zoomed,
            on_zoom=S.toggle_zoom,
        ),
        # Drag and drop (assets/nyx.js) reports "dragged>target" here; the arrows stay for keyboards.
        rx.el.input(
            type="text",
            id="image-reorder-input",
            on_change=S.drop_move,
            tab_index=-1,
            aria_hidden="true",
            display="none",
        ),
        spacing="4",
        width="100%",
    )
