"""Stateless widgets for a note's images: the drop zone with its progress, the per-file results,
the gallery cards and the lightbox. Pages pass in their state's Vars and event handlers.

The drop zone refuses in the browser what the server would refuse anyway, before anything is
sent: more files than the limit, a file over the size limit. It never refuses by name or type:
a PNG without an extension is a PNG, and a BMP named ``.png`` is not; the server decodes every
file and answers each in words (integrations/images.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.event import parse_args_spec, passthrough_event_spec
from reflex.vars import VarData

from nyx_app.components.confirm import confirm_dialog
from nyx_app.integrations.images import ACCEPTED_LABEL, display_name
from nyx_app.models.note_image import IMAGE_DESCRIPTION_MAX
from nyx_app.settings import get_settings

UPLOAD_ID = "note-images"

# Image routes live on the backend; in dev its port differs from the frontend's, so URLs are
# made absolute against the backend origin the way Reflex builds its own upload URLs.
_BACKEND_ORIGIN = rx.Var(
    _js_expr="getBackendURL(env.PING)",
    _var_data=VarData(
        imports={"$/utils/state": "getBackendURL", "$/env.json": rx.ImportVar(tag="env", is_default=True)}
    ),
)


def named_upload(label: str, *children: Any, **props: Any) -> rx.Component:
    """``rx.upload`` whose file input has a name for assistive technology (react-dropzone's input
    gets only what ``getInputProps`` gives it, which is no label)."""
    upload = rx.upload(*children, **props)
    zone = upload.children[0]
    file_input = zone.children[0]
    file_input.custom_attrs["aria-label"] = label
    return upload


def backend_url(path: rx.Var[str] | str) -> rx.Var[str]:
    path_var = rx.Var.create(path)
    return rx.Var(
        _js_expr=f"(new URL({path_var!s}, {_BACKEND_ORIGIN!s})).href",
        _var_data=VarData.merge(path_var._get_all_var_data(), _BACKEND_ORIGIN._get_all_var_data()),
    ).to(str)


@dataclasses.dataclass
class ImageCard:
    """One image as the page shows it: URLs of the authenticated route, never bytes."""

    id: str
    thumb_path: str
    full_path: str
    description: str
    size_label: str
    order: int = 0  # its place in the gallery (sort_order)
    file_name: str = ""  # as uploaded (cleaned), for the lightbox
    by_ai: bool = False  # the description was written by a model (services/image_descriptions.py)


@dataclasses.dataclass
class PendingFile:
    """A file on its way up: its share of the upload's progress, until its card shows."""

    name: str
    size: int
    percent: int = 0
    index: int = 0  # its place in the drop


@dataclasses.dataclass
class FileOutcome:
    name: str
    ok: bool
    message: str


def dropped_file_summaries() -> rx.Var[list[dict[str, Any]]]:
    """Name and size of the files of an on_drop event (for per-file progress; the File objects
    themselves go up with the upload request, not through the websocket)."""
    files = parse_args_spec(passthrough_event_spec(list[rx.UploadFile]))[0][0]
    return rx.Var(
        _js_expr=f"Array.from({files!s} ?? []).map((f) => ({{name: f.name, size: f.size}}))",
        _var_data=files._get_all_var_data(),
    ).to(list[dict[str, Any]])


def rejected_file_summaries() -> rx.Var[list[dict[str, Any]]]:
    """Name, size and reason codes of the files an on_drop_rejected event refused in the browser."""
    rejected = parse_args_spec(passthrough_event_spec(list[dict[str, Any]]))[0][0]
    return rx.Var(
        _js_expr=(
            f"Array.from({rejected!s} ?? []).map((r) => ({{name: r.file?.name ?? '', size: r.file?.size ?? 0, "
            "codes: (r.errors ?? []).map((e) => e.code)}))"
        ),
        _var_data=rejected._get_all_var_data(),
    ).to(list[dict[str, Any]])


def refusal_message(rejected: list[dict[str, Any]]) -> str:
    """What the browser refused before sending, in words (react-dropzone's reason codes)."""
    settings = get_settings()
    codes = {code for r in rejected for code in r.get("codes", [])}
    if "too-many-files" in codes:
        return (
            f"You dropped {len(rejected)} files; at most {settings.upload_max_files} at a time. Nothing was uploaded."
        )
    names = ", ".join(display_name(str(r.get("name", ""))) for r in rejected)
    if "file-too-large" in codes:
        limit = settings.upload_max_bytes // 1_048_576
        return f"Not uploaded: {names} (more than {limit} MB; that is the limit per image)."
    return f"Not uploaded: {names} (not a {ACCEPTED_LABEL} image)."


def split_progress(sizes: list[int], fraction: float) -> list[int]:
    """Per-file percentages from the progress of one request carrying the files in order.

    The browser reports bytes sent for the whole request; files go up one after another, so a
    file is done once the bytes of all files before it and its own have been sent.
    """
    sent = max(0.0, min(1.0, fraction)) * sum(sizes)
    percents = []
    for size in sizes:
        percents.append(100 if size == 0 or sent >= size else max(0, round(sent / size * 100)))
        sent = max(0.0, sent - size)
    return percents


def _pending(p: PendingFile) -> rx.Component:
    return rx.hstack(
        rx.text(p.name, size="1", width="14em", overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
        rx.progress(value=p.percent, max=100, width="100%", aria_label=rx.Var.create("Uploading ") + p.name),
        rx.text(rx.cond(p.percent < 100, f"{p.percent}%", "checking…"), size="1", white_space="nowrap"),
        width="100%",
        align="center",
        class_name="upload-pending",
    )


def drop_zone(
    on_drop: Any,
    on_refused: Any,
    uploading: rx.Var[bool],
    pending: rx.Var[list[PendingFile]],
    hint: rx.Var[str] | str,
    *,
    max_files: rx.Var[int] | int,
    max_bytes: rx.Var[int] | int,
) -> rx.Component:
    return rx.vstack(
        named_upload(
            "Choose images to add",
            rx.vstack(
                rx.icon("image-up", size=28, color="var(--gray-9)"),
                rx.text("Drop images here, or click to choose", size="2", weight="medium"),
                rx.text(hint, size="1", color_scheme="gray"),
                align="center",
                spacing="1",
            ),
            id=UPLOAD_ID,
            multiple=True,
            # One upload at a time: the browser would refuse a second one anyway, silently.
            disabled=uploading,
            on_drop=on_drop,
            on_drop_rejected=on_refused,
            max_files=max_files,
            max_size=max_bytes,
            border="2px dashed var(--gray-a7)",
            border_radius="var(--radius-3)",
            padding="1.5em",
            width="100%",
            cursor="pointer",
            drag_active_style={"border_color": "var(--accent-9)", "background": "var(--accent-a2)"},
            class_name="image-drop-zone",
        ),
        rx.cond(uploading, rx.vstack(rx.foreach(pending, _pending), width="100%", spacing="1", id="upload-progress")),
        width="100%",
    )


def _outcome(o: FileOutcome) -> rx.Component:
    return rx.hstack(
        rx.cond(
            o.ok,
            rx.icon("circle-check", size=14, color="var(--green-9)"),
            rx.icon("circle-x", size=14, color="var(--red-9)"),
        ),
        rx.text(o.name, size="1", weight="medium"),
        rx.text(o.message, size="1", color_scheme=rx.cond(o.ok, "gray", "red")),
        align="center",
        spacing="2",
        class_name=rx.cond(o.ok, "upload-ok", "upload-error"),
    )


def upload_outcomes(outcomes: rx.Var[list[FileOutcome]]) -> rx.Component:
    return rx.cond(
        outcomes.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(rx.foreach(outcomes, _outcome), spacing="1", id="upload-outcomes"),
    )


def image_card(
    image: ImageCard,
    index: rx.Var[int],
    count: rx.Var[int],
    *,
    on_describe: Callable[[str, rx.Var[str]], Any],
    on_move: Callable[[str, int], Any],
    on_remove: Callable[[str], Any],
    on_open: Callable[[rx.Var[int]], Any],
    can_remove: rx.Var[bool] | bool = True,
    on_focus_description: Callable[[str], Any] | None = None,
) -> rx.Component:
    return rx.card(
        rx.vstack(
            # Opens the lightbox, inside the app (the full-size image is never a page of its own).
            rx.el.button(
                rx.image(
                    src=backend_url(image.thumb_path),
                    alt=rx.cond(image.description != "", image.description, "Note image"),
                    width="100%",
                    height="160px",
                    object_fit="contain",
                    loading="lazy",
                    class_name="image-thumb",
                ),
                type="button",
                on_click=on_open(index),
                title="View larger",
                aria_label="View larger",
                class_name="image-open",
                width="100%",
                cursor="zoom-in",
                background="none",
                border="none",
                padding="0",
            ),
            rx.text_area(
                default_value=image.description,
                placeholder="Describe this image…",
                on_blur=lambda value: on_describe(image.id, value),
                # Focusing an empty box claims it from the background describer (note_gallery.py).
                **({"on_focus": on_focus_description(image.id)} if on_focus_description else {}),
                rows="2",
                max_length=IMAGE_DESCRIPTION_MAX,
                width="100%",
                class_name="image-description",
                # A description written by a model arrives live: the box is made anew with it.
                key=image.id + rx.cond(image.by_ai, ":ai", ""),
            ),
            rx.cond(
                image.by_ai,
                rx.text(
                    "described by AI; edit to replace",
                    size="1",
                    color_scheme="gray",
                    class_name="image-described-by-ai",
                ),
            ),
            rx.hstack(
                rx.icon_button(
                    rx.icon("arrow-left", size=14),
                    size="1",
                    variant="soft",
                    disabled=index == 0,
                    on_click=on_move(image.id, -1),
                    aria_label="Move earlier",
                    class_name="image-move-up",
                ),
                rx.icon_button(
                    rx.icon("arrow-right", size=14),
                    size="1",
                    variant="soft",
                    disabled=index == count - 1,
                    on_click=on_move(image.id, 1),
                    aria_label="Move later",
                    class_name="image-move-down",
                ),
                rx.text(image.size_label, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.cond(
                    can_remove,
                    confirm_dialog(
                        "Remove image?",
                        "The image goes to the trash for 30 days; Undo puts it back.",
                        on_remove(image.id),
                        trigger_class="image-remove",
                        confirm_class="confirm-remove-image",
                    ),
                ),
                width="100%",
                align="center",
            ),
            spacing="2",
        ),
        # Keyed by image id: after a reorder React moves the cards instead of reusing them, so an
        # uncontrolled description box never shows a neighbour's text.
        key=image.id,
        class_name="image-card",
        data_image_id=image.id,
        # Dragged onto another card to take its place (assets/nyx.js); the arrows do it by keyboard.
        draggable=True,
        data_drag_id=image.id,
        title="Drag to reorder",
    )


def lightbox(
    open_: rx.Var[bool],
    src: rx.Var[str],
    description: rx.Var[str],
    position: rx.Var[str],
    *,
    on_close: Any,
    on_step: Callable[[int], Any],
    on_key: Any,
    file_name: rx.Var[str] | str = "",
    zoomed: rx.Var[bool] | bool = False,
    on_zoom: Any = None,
) -> rx.Component:
    """One image at a time, large, with its file name and description; previous and next by button
    or arrow key; zoom to its own size (scrolling) and back; download."""
    step = {"size": "2", "variant": "soft", "color_scheme": "gray"}
    zoom_button = (
        rx.icon_button(
            rx.cond(zoomed, rx.icon("zoom-out"), rx.icon("zoom-in")),
            on_click=on_zoom,
            aria_label=rx.cond(zoomed, "Fit to the window", "Zoom to full size"),
            id="lightbox-zoom",
            **step,
        )
        if on_zoom is not None
        else rx.fragment()
    )
    dialog = rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(file_name != "", file_name, "Image"),
                size="3",
                class_name="lightbox-title",
                overflow_wrap="anywhere",
            ),
            rx.dialog.description(
                rx.cond(description != "", description, "No description yet."),
                size="2",
                color_scheme="gray",
                class_name="lightbox-description",
            ),
            rx.box(
                rx.image(
                    src=backend_url(src),
                    alt=rx.cond(description != "", description, "Note image"),
                    width=rx.cond(zoomed, "auto", "100%"),
                    max_width=rx.cond(zoomed, "none", "100%"),
                    max_height=rx.cond(zoomed, "none", "70vh"),
                    object_fit="contain",
                    class_name="lightbox-image",
                    on_click=on_zoom,
                    cursor=rx.cond(zoomed, "zoom-out", "zoom-in") if on_zoom is not None else "default",
                ),
                max_height="72vh",
                overflow="auto",
                margin_top="0.5em",
                id="lightbox-frame",
            ),
            rx.hstack(
                rx.icon_button(
                    rx.icon("chevron-left"),
                    on_click=on_step(-1),
                    aria_label="Previous image",
                    id="lightbox-prev",
                    **step,
                ),
                rx.text(position, size="2", color_scheme="gray", id="lightbox-position"),
                rx.icon_button(
                    rx.icon("chevron-right"), on_click=on_step(1), aria_label="Next", id="lightbox-next", **step
                ),
                zoom_button,
                rx.el.a(
                    rx.icon("download", size=14),
                    "Download",
                    href=backend_url(src),
                    download=file_name,
                    reload_document=True,
                    class_name="nyx-inline-action",
                    id="lightbox-download",
                ),
                rx.spacer(),
                rx.dialog.close(rx.button("Close", variant="soft", id="lightbox-close")),
                width="100%",
                align="center",
                padding_top="0.75em",
            ),
            max_width="min(1100px, 95vw)",
            id="lightbox",
        ),
        open=open_,
        on_open_change=on_close,
    )
    # Arrow keys, listened to only while the lightbox is open (not every key typed on the page).
    return rx.fragment(dialog, rx.cond(open_, rx.window_event_listener(on_key_down=on_key)))
