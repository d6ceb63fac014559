"""A published project's public, read-only page: its name, description and the notes marked
public with their images. Open to everyone, signed in or not; it shows nothing else of the
workspace, not even its name. Read through ``services.public`` (see there why it cannot read any
other row); every kind of "not there" answers the same not-found view.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app import routes
from nyx_app.components.image_gallery import backend_url, lightbox
from nyx_app.components.layout import brand, theme_toggle
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import empty_state, not_found_view
from nyx_app.integrations import markdown
from nyx_app.services import public
from nyx_app.services.errors import NotFound


@dataclasses.dataclass
class PublicImageView:
    src: str
    full: str
    description: str
    index: int = 0  # its place among all images of the page (the lightbox steps through them)
    name: str = ""


@dataclasses.dataclass
class PublicNoteView:
    id: str
    title: str
    html: str
    updated: str
    images: list[PublicImageView]


class PublicProjectState(rx.State):
    found: bool = True
    loaded: bool = False
    name: str = ""
    description: str = ""
    notes: list[PublicNoteView] = []
    images: list[PublicImageView] = []  # every image of the page, in order, for the lightbox
    viewing: int = -1

    @rx.var
    def viewed(self) -> PublicImageView:
        return self.images[self.viewing] if 0 <= self.viewing < len(self.images) else PublicImageView("", "", "")

    @rx.var
    def viewed_position(self) -> str:
        return f"{self.viewing + 1} of {len(self.images)}" if self.viewing >= 0 else ""

    @rx.event
    def open_image(self, index: int):
        self.viewing = index if 0 <= index < len(self.images) else -1

    @rx.event
    def lightbox_changed(self, is_open: bool):
        if not is_open:
            self.viewing = -1

    @rx.event
    def step_image(self, step: int):
        if self.images and self.viewing >= 0:
            self.viewing = (self.viewing + step) % len(self.images)

    @rx.event
    def lightbox_key(self, key: str):
        if key in ("ArrowLeft", "ArrowRight"):
            self.step_image(-1 if key == "ArrowLeft" else 1)

    @rx.event
    async def load(self):
        requested = self.project_id  # type: ignore[attr-defined]
        self.loaded = False
        try:
            page = await public.public_project(requested)
        except NotFound:
            self.found, self.loaded, self.name, self.description, self.notes = False, True, "", "", []
            return
        pid = str(page.id)
        self.found, self.name, self.description, self.viewing = True, page.name, page.description, -1
        counter = iter(range(10**6))
        self.notes = [
            PublicNoteView(
                str(n.id),
                n.title,
                markdown.render(n.content),
                f"{n.updated_at:%d %b %Y}",
                [
                    PublicImageView(
                        routes.public_image_url(pid, str(i.id), thumb=True),
                        routes.public_image_url(pid, str(i.id)),
                        i.description,
                        next(counter),
                        i.file_name or "image",
                    )
                    for i in n.images
                ],
            )
            for n in page.notes
        ]
        self.images = [i for n in self.notes for i in n.images]
        self.loaded = True


def _image(image: PublicImageView) -> rx.Component:
    """A thumbnail in the note's gallery; the lightbox shows it large."""
    return rx.el.button(
        rx.image(
            src=backend_url(image.src),
            alt=rx.cond(image.description != "", image.description, "Image of this note"),
            width="100%",
            height="140px",
            object_fit="cover",
            border_radius="var(--radius-3)",
            border="1px solid var(--gray-a5)",
            loading="lazy",
            class_name="public-image",
        ),
        type="button",
        on_click=PublicProjectState.open_image(image.index),
        aria_label=rx.Var.create("View larger: ") + rx.cond(image.description != "", image.description, image.name),
        cursor="zoom-in",
        background="none",
        border="none",
        padding="0",
        width="100%",
    )


def _note(n: PublicNoteView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(n.title, size="5", as_="h2", class_name="public-note-title"),
            rx.text("Updated ", n.updated, size="1", color_scheme="gray"),
            markdown_view(n.html, class_name="public-note-body"),
            rx.cond(
                n.images.length() > 0,  # type: ignore[attr-defined]
                rx.grid(
                    rx.foreach(n.images, _image),
                    columns=rx.breakpoints(initial="2", sm="3", md="4"),
                    spacing="2",
                    width="100%",
                    class_name="public-gallery",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="public-note",
    )


def _project() -> rx.Component:
    return rx.vstack(
        rx.heading(PublicProjectState.name, size="8", id="public-title", overflow_wrap="anywhere"),
        rx.cond(
            PublicProjectState.description != "",
            rx.text(PublicProjectState.description, size="4", color_scheme="gray", id="public-description"),
        ),
        rx.cond(
            PublicProjectState.notes.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(PublicProjectState.notes, _note), spacing="4", width="100%"),
            empty_state("notebook", "Nothing to read yet", "No note of this project has been made public."),
        ),
        lightbox(
            PublicProjectState.viewing >= 0,
            PublicProjectState.viewed.full,
            PublicProjectState.viewed.description,
            PublicProjectState.viewed_position,
            on_close=PublicProjectState.lightbox_changed,
            on_step=PublicProjectState.step_image,
            on_key=PublicProjectState.lightbox_key,
            file_name=PublicProjectState.viewed.name,
        ),
        spacing="4",
        width="100%",
    )


def public_project_page() -> rx.Component:
    header = rx.el.header(
        rx.box(
            brand(),
            rx.badge(rx.icon("globe", size=12), "Public page", color_scheme="green", variant="soft"),
            rx.box(theme_toggle(), class_name="nyx-nav-tools"),
            class_name="nyx-header-bar",
        ),
        class_name="nyx-header",
    )
    body = rx.cond(
        PublicProjectState.found,
        rx.cond(PublicProjectState.loaded, _project(), rx.center(rx.spinner(), padding="3em", width="100%")),
        not_found_view(
            "Page not found",
            "This page does not exist, or it is no longer published.",
            back_href=routes.LOGIN,
            back_label="nyxCore",
        ),
    )
    return rx.box(header, rx.el.main(body, class_name="nyx-main", max_width="860px"), min_height="100vh")
