"""The notification bell in the header (in ``#notification-slot``, beside the search box): the
unread count, the latest notifications with links, and the person's settings for which kinds
they are told of and whether the browser shows its own notifications."""

from __future__ import annotations

import reflex as rx

from nyx_app.models.notification import NotificationKind
from nyx_app.services.notifications import KIND_LABELS
from nyx_app.state.notifications import BellRow, BellState

B = BellState


def _row(r: BellRow) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.text(r.title, size="2", weight=rx.cond(r.unread, "bold", "regular"), class_name="bell-title"),
            rx.text(r.what, " · ", r.when, size="1", color_scheme="gray"),
            spacing="0",
            padding="0.4em 0.5em",
            border_radius="var(--radius-2)",
            background=rx.cond(r.unread, "var(--accent-a3)", "transparent"),
            width="100%",
        ),
        href=r.url,
        underline="none",
        color="inherit",
        class_name="bell-row",
        on_click=B.set_bell_open(False),
    )


def _setting(kind: NotificationKind) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=~B.muted.contains(kind.value),  # type: ignore[attr-defined]
                on_change=lambda _: B.toggle_kind(kind.value),
                id=f"notify-{kind.value}",
            ),
            rx.text(KIND_LABELS[kind], size="1"),
            spacing="2",
            align="center",
        )
    )


def _settings() -> rx.Component:
    return rx.el.details(
        rx.el.summary(rx.text("Settings", size="1", as_="span"), class_name="bell-settings"),
        rx.vstack(
            *[_setting(k) for k in NotificationKind],
            rx.el.label(
                rx.hstack(
                    rx.switch(checked=B.browser, on_change=B.toggle_browser, id="notify-browser", size="1"),
                    rx.text("Browser notifications while this tab is in the background", size="1"),
                    spacing="2",
                    align="center",
                )
            ),
            spacing="1",
            padding_top="0.4em",
        ),
    )


def notification_bell() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("bell", size=16),
                rx.cond(
                    B.unread > 0,
                    # Over the icon's corner, not beside it: the header keeps its width.
                    rx.badge(
                        B.unread,
                        color_scheme="red",
                        variant="solid",
                        radius="full",
                        size="1",
                        id="bell-count",
                        position="absolute",
                        top="-2px",
                        right="-6px",
                        padding="0 5px",
                    ),
                ),
                variant="ghost",
                size="2",
                position="relative",
                id="notification-bell",
                aria_label=rx.cond(B.unread > 0, f"Notifications ({B.unread} unread)", "Notifications"),
                type="button",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.text("Notifications", weight="bold", size="2"),
                rx.cond(
                    B.rows.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(rx.foreach(B.rows, _row), spacing="1", width="100%", id="bell-list"),
                    rx.text("Nothing yet. You are told here when a run needs you.", size="1", color_scheme="gray"),
                ),
                _settings(),
                spacing="2",
                width="100%",
                max_height="70vh",
                overflow_y="auto",
            ),
            width="340px",
        ),
        open=B.bell_open,
        on_open_change=B.set_bell_open,
    )
