"""Publish / Unpublish a project, always with a word first on what publishing does.

    publish_button(p.published, DashboardState.set_published(p.id, True), DashboardState.set_published(p.id, False))

The dialog says who can see what (``PUBLISH_EXPLAINED``); the handler answers with a toast and
the page shows the public page's address while the project is published.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from nyx_app.components.confirm import confirm_dialog

PUBLISH_EXPLAINED = (
    "Publishing gives this project a public, read-only page at a fixed address that anyone can open "
    "without logging in. It shows the project's name, its description and only the notes marked "
    "public (with their images); nothing else of this workspace. Unpublish at any time: the page "
    "then answers “not found” at once."
)
UNPUBLISH_EXPLAINED = "Its public page stops working at once and answers “not found”. Notes stay as they are."


def publish_button(
    published: rx.Var[bool], on_publish: Any, on_unpublish: Any, *, size: str = "1", id: str = ""
) -> rx.Component:
    return rx.cond(
        published,
        confirm_dialog(
            "Unpublish this project?",
            UNPUBLISH_EXPLAINED,
            on_unpublish,
            trigger_label="Unpublish",
            danger=False,
            size=size,
            trigger_id=id,
            confirm_class="confirm-unpublish",
        ),
        confirm_dialog(
            "Publish this project?",
            PUBLISH_EXPLAINED,
            on_publish,
            trigger_label="Publish",
            danger=False,
            size=size,
            trigger_id=id,
            confirm_class="confirm-publish",
        ),
    )
