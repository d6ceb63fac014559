"""Small form widgets shared by pages (stateless: they take handlers and Vars)."""

from __future__ import annotations

from typing import Any

import reflex as rx


def save_cancel(save_label: str, save_id: str, on_cancel: Any) -> rx.Component:
    return rx.hstack(
        rx.button(save_label, type="submit", size="1", id=save_id),
        rx.button("Cancel", type="button", variant="soft", size="1", on_click=on_cancel),
    )


def confirm_delete(
    title: str, description: str, on_confirm: Any, trigger_class: str = "", confirm_class: str = ""
) -> rx.Component:
    """A Delete button that asks first; deleting is never one slip of the mouse away."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Delete", size="1", variant="soft", color_scheme="red", class_name=trigger_class)
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft")),
                rx.alert_dialog.action(
                    rx.button("Delete", color_scheme="red", on_click=on_confirm, class_name=confirm_class)
                ),
                justify="end",
            ),
        ),
    )


def published_badge(published: rx.Var[bool]) -> rx.Component:
    return rx.cond(published, rx.badge("published", color_scheme="green"), rx.badge("private", variant="soft"))
