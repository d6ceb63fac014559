"""The one confirm dialog: every destructive action asks first and says what will happen.

    confirm_dialog(
        "Delete project?",
        "Its notes and images are deleted too. This cannot be undone.",
        DashboardState.delete(p.id),
        trigger_label="Delete",                 # the button that opens the dialog
        trigger_class="delete-project",         # class names for tests
        confirm_class="confirm-delete-project",
    )

For the gravest actions (deleting a workspace) pass ``typed_name`` (a Var with the name to type),
``typed_value`` (the page state's var holding what was typed) and ``on_type`` (its setter): the
confirm button stays disabled until the two match, and the service checks the name again.
``confirm_label`` defaults to the trigger's label, ``cancel_label`` to "Cancel" (say "Keep
running" where "Cancel" would read as the destructive action itself); ``danger=False`` gives a neutral dialog for
actions that are not destructive but deserve a word first (publishing, leaving). After the
action, the page's handler says what happened with ``toasts.done``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def confirm_dialog(
    title: str | rx.Var[str],
    description: str | rx.Var[str] | rx.Component,
    on_confirm: Any,
    *,
    trigger_label: str = "Delete",
    trigger: rx.Component | None = None,
    confirm_label: str = "",
    trigger_class: str = "",
    confirm_class: str = "",
    danger: bool = True,
    size: str = "1",
    typed_name: rx.Var[str] | str | None = None,
    typed_value: rx.Var[str] | None = None,
    on_type: Any = None,
    trigger_id: str = "",
    confirm_id: str = "",
    cancel_label: str = "Cancel",
) -> rx.Component:
    color = "red" if danger else None
    opener = trigger or rx.button(
        trigger_label,
        size=size,
        variant="soft",
        color_scheme=color,
        class_name=trigger_class,
        id=trigger_id or None,
        type="button",
    )
    typed: list[rx.Component] = []
    disabled: Any = False
    if typed_name is not None:
        typed = [
            rx.text("Type ", rx.text.strong(typed_name), " to confirm.", size="2"),
            rx.input(
                value=typed_value,
                on_change=on_type,
                id="confirm-typed-name",
                aria_label="Type the name to confirm",
                auto_complete="off",
                width="100%",
            ),
        ]
        disabled = typed_value != typed_name
    body = description if isinstance(description, rx.Component) else rx.alert_dialog.description(description, size="2")
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(opener),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            body,
            rx.vstack(*typed, spacing="2", width="100%", padding_top="0.75em") if typed else rx.fragment(),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(cancel_label, variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        confirm_label or trigger_label,
                        color_scheme=color,
                        on_click=on_confirm,
                        disabled=disabled,
                        class_name=confirm_class,
                        id=confirm_id or None,
                    )
                ),
                gap="3",
                justify="end",
                wrap="wrap",
                padding_top="1em",
            ),
            max_width="460px",
        ),
    )
