"""The note editor: title, Markdown text beside its live preview, and the browser-side helpers
(note_editor.js) for unsaved-change warnings and images pasted or dropped into the text.

Stateless like the other components: the page passes its Vars and handlers. The text fields are
uncontrolled (the browser owns what is typed; the page sets only the starting text and remounts
the editor with a new ``key`` to replace it), and report changes to the server debounced, where
the preview is rendered by the one Markdown renderer and the draft is kept; leaving a field sends
its text at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from nyx_app.components.image_gallery import named_upload
from nyx_app.components.markdown import markdown_view
from nyx_app.models.project import NOTE_CONTENT_MAX, NOTE_TITLE_MAX

PASTE_UPLOAD_ID = "note-paste-images"
# Typing pauses this long before the server renders the preview and keeps the draft.
DEBOUNCE_MS = 350
_SCRIPT = (Path(__file__).parent / "note_editor.js").read_text()


def install_script() -> EventSpec:
    """Run on the note page's load; installs the helpers once per browser tab."""
    return rx.call_script(_SCRIPT)


def resolve_placeholder(index: int, markdown: str) -> EventSpec:
    """Put ``markdown`` in place of the pasted file's placeholder ("" removes it)."""
    return rx.call_script(f"window.nyxNoteEditor && window.nyxNoteEditor.resolve({index}, {json.dumps(markdown)})")


def end_of_paste() -> EventSpec:
    return rx.call_script("window.nyxNoteEditor && window.nyxNoteEditor.done()")


def image_markdown(name: str, path: str) -> str:
    """The reference inserted for a pasted image: its file name (without extension) as alt text."""
    alt = name.rsplit(".", 1)[0].replace("[", "").replace("]", "").strip() or "image"
    return f"![{alt}]({path})"


def paste_uploader(on_drop: Any, on_refused: Any, *, max_files: Any, max_bytes: Any) -> rx.Component:
    """Hidden: the editor's script hands pasted and dropped images to its file input, so they get
    the drop zone's limits and pipeline."""
    return rx.box(
        named_upload(
            "Images pasted into the note",
            rx.fragment(),
            id=PASTE_UPLOAD_ID,
            multiple=True,
            no_click=True,
            no_drag=True,
            no_keyboard=True,
            on_drop=on_drop,
            on_drop_rejected=on_refused,
            max_files=max_files,
            max_size=max_bytes,
        ),
        id="note-paste-upload",
        display="none",
    )


TOOLS = [
    ("bold", "bold", "Bold"),
    ("italic", "italic", "Italic"),
    ("heading", "heading-2", "Heading"),
    ("list", "list", "Bulleted list"),
    ("numbered", "list-ordered", "Numbered list"),
    ("quote", "text-quote", "Quote"),
    ("code", "code", "Code"),
    ("link", "link", "Link"),
]


def toolbar() -> rx.Component:
    """A few Markdown helpers for the text: each wraps the selection or starts its lines
    (note_editor.js, in the browser: no server round trip)."""
    return rx.hstack(
        *[
            rx.icon_button(
                rx.icon(icon, size=14),
                type="button",
                size="1",
                variant="ghost",
                color_scheme="gray",
                aria_label=label,
                title=label,
                on_click=rx.call_script(f"window.nyxNoteEditor && window.nyxNoteEditor.format('{kind}')"),
                class_name=f"format-{kind}",
            )
            for kind, icon, label in TOOLS
        ],
        spacing="1",
        role="toolbar",
        aria_label="Formatting",
        aria_controls="edit-note-content",
        id="format-toolbar",
    )


def note_editor(
    *,
    key: rx.Var[str],
    title: rx.Var[str],
    text: rx.Var[str],
    preview_html: rx.Var[str],
    unsaved: rx.Var[bool],
    status: rx.Var[str],
    on_title: Any,
    on_text: Any,
    on_save: Any,
    cancel: rx.Component,
    uploader: rx.Component,
    max_files: Any,
    max_bytes: Any,
) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.input(
                name="title",
                default_value=title,
                on_change=on_title.debounce(DEBOUNCE_MS),
                on_blur=on_title,
                max_length=NOTE_TITLE_MAX,
                placeholder="Title",
                id="edit-note-title",
                size="3",
                width="100%",
            ),
            rx.hstack(
                toolbar(),
                rx.text("Markdown. Paste or drop images into the text; Ctrl/⌘+S saves.", size="1", color_scheme="gray"),
                rx.spacer(),
                rx.text(status, size="1", color_scheme="gray", id="draft-status"),
                width="100%",
                align="center",
                flex_wrap="wrap",
            ),
            rx.grid(
                rx.text_area(
                    name="content",
                    default_value=text,
                    on_change=on_text.debounce(DEBOUNCE_MS),
                    # Leaving the field (for a link, say) sends the text at once: no words typed in
                    # the last pause are missing from the draft.
                    on_blur=on_text,
                    max_length=NOTE_CONTENT_MAX,
                    id="edit-note-content",
                    rows="22",
                    width="100%",
                    font_family="var(--code-font-family, ui-monospace, monospace)",
                    resize="vertical",
                ),
                rx.box(
                    markdown_view(preview_html, class_name="note-preview"),
                    border="1px solid var(--gray-a5)",
                    border_radius="var(--radius-3)",
                    padding="0.75em 1em",
                    overflow_y="auto",
                    max_height="34em",
                    aria_label="Preview",
                    id="note-preview",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            rx.hstack(rx.button("Save note", type="submit", id="save-note"), cancel, spacing="2"),
            uploader,
            width="100%",
            spacing="2",
        ),
        on_submit=on_save,
        width="100%",
        key=key,
        id="note-editor",
        data_unsaved=rx.cond(unsaved, "true", "false"),
        data_max_files=max_files,
        data_max_bytes=max_bytes,
    )
