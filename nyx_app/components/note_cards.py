"""Compact note cards for a project's notes list, and the list's toolbar (search, sort, new note).

A card is small on purpose: title, a plain-text excerpt, the first image's thumbnail, the number
of images, when it changed and who wrote it. The note itself is read and edited on its own page.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from nyx_app.components.image_gallery import backend_url
from nyx_app.models.project import NOTE_TITLE_MAX


@dataclasses.dataclass
class NoteCardView:
    id: str
    title: str
    excerpt: str
    url: str
    thumb_path: str  # "" when the note has no image
    image_count: int
    updated: str  # "3 days ago"
    author: str


def time_ago(when: datetime, now: datetime | None = None) -> str:
    """A short, human time for a list: "just now", "5 min ago", "3 h ago", "yesterday",
    "4 days ago", then the date. Times are made in UTC on the server; days are near enough."""
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86_400
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return when.strftime("%b %-d, %Y") if when.year != now.year else when.strftime("%b %-d")


def _thumbnail(card: NoteCardView) -> rx.Component:
    return rx.cond(
        card.thumb_path != "",
        rx.image(
            src=backend_url(card.thumb_path),
            alt="",
            width="96px",
            height="72px",
            object_fit="cover",
            border_radius="var(--radius-2)",
            loading="lazy",
            flex_shrink="0",
            class_name="note-thumb",
        ),
    )


def note_card(card: NoteCardView) -> rx.Component:
    meta = rx.hstack(
        rx.text(card.updated, size="1", color_scheme="gray"),
        rx.cond(card.author != "", rx.text("· ", card.author, size="1", color_scheme="gray")),
        rx.cond(
            card.image_count > 0,
            rx.hstack(
                rx.icon("image", size=12, color="var(--gray-10)"),
                rx.text(card.image_count, size="1", color_scheme="gray"),
                spacing="1",
                align="center",
                class_name="note-image-count",
            ),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )
    return rx.link(
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.text(card.title, weight="bold", size="3", class_name="note-title"),
                    rx.text(
                        card.excerpt,
                        size="2",
                        color_scheme="gray",
                        class_name="note-excerpt",
                        style={"display": "-webkit-box", "-webkit-line-clamp": "2", "-webkit-box-orient": "vertical"},
                        overflow="hidden",
                    ),
                    meta,
                    spacing="1",
                    min_width="0",
                    flex="1",
                ),
                _thumbnail(card),
                width="100%",
                align="start",
            ),
            width="100%",
            class_name="note-card",
            data_note_id=card.id,
        ),
        href=card.url,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        width="100%",
    )


SORT_LABELS = {"updated": "Last changed", "created": "Newest", "title": "Title A-Z"}


def notes_toolbar(*, on_search: Any, sort: rx.Var[str], on_sort: Any, on_create: Any) -> rx.Component:
    return rx.flex(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder="Search notes",
            on_change=on_search,
            type="search",
            id="note-search",
            width="100%",
            max_width="22em",
        ),
        rx.select.root(
            rx.select.trigger(aria_label="Sort notes", id="note-sort"),
            rx.select.content(*[rx.select.item(label, value=value) for value, label in SORT_LABELS.items()]),
            value=sort,
            on_change=on_sort,
        ),
        rx.spacer(),
        rx.form(
            rx.hstack(
                rx.input(
                    name="title",
                    placeholder="New note title",
                    max_length=NOTE_TITLE_MAX,
                    id="new-note-title",
                    data_shortcut="create",
                    width="16em",
                ),
                rx.button(rx.icon("plus", size=16), "New note", type="submit", id="add-note"),
                spacing="2",
            ),
            on_submit=on_create,
            reset_on_submit=True,
        ),
        gap="0.75em",
        wrap="wrap",
        align="center",
        width="100%",
    )
