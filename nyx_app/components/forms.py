"""Small form widgets shared by pages (stateless: they take handlers and Vars).

``confirm_delete`` is kept for pages written before ``components.confirm``; it is the same
dialog. New code calls ``confirm.confirm_dialog`` directly.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from nyx_app.components.confirm import confirm_dialog


def save_cancel(save_label: str, save_id: str, on_cancel: Any) -> rx.Component:
    return rx.hstack(
        rx.button(save_label, type="submit", size="2", id=save_id),
        rx.button("Cancel", type="button", variant="soft", color_scheme="gray", size="2", on_click=on_cancel),
    )


def confirm_delete(
    title: str, description: str, on_confirm: Any, trigger_class: str = "", confirm_class: str = ""
) -> rx.Component:
    """A Delete button that asks first (``confirm.confirm_dialog``)."""
    return confirm_dialog(title, description, on_confirm, trigger_class=trigger_class, confirm_class=confirm_class)


def published_badge(published: rx.Var[bool]) -> rx.Component:
    return rx.cond(
        published,
        rx.badge(rx.icon("globe", size=12), "published", color_scheme="green", class_name="published-badge"),
        rx.badge("private", variant="soft", color_scheme="gray", class_name="published-badge"),
    )
