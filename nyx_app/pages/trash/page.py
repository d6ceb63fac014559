"""The Trash page: deleted notes, memory entries, images, workflows and reports of the last 30 days."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import empty_state, page_header
from nyx_app.models.trash import TRASH_DAYS
from nyx_app.pages.trash.state import TrashRow, TrashState

S = TrashState


def _row(r: TrashRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.icon(r.icon, size=18, color="var(--gray-11)", flex_shrink="0", margin_top="3px"),
                rx.vstack(
                    rx.hstack(
                        rx.text(r.title, weight="medium", class_name="trash-title", overflow_wrap="anywhere"),
                        rx.badge(r.kind, variant="soft", color_scheme="gray", class_name="trash-kind"),
                        spacing="2",
                        align="center",
                        wrap="wrap",
                    ),
                    rx.cond(r.where != "", rx.text(r.where, size="1", color_scheme="gray", class_name="trash-where")),
                    rx.text(r.deleted, " · ", r.purge, size="1", color_scheme="gray"),
                    spacing="1",
                    min_width="0",
                ),
                spacing="3",
                align="start",
                min_width="0",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("undo-2", size=14),
                    "Restore",
                    size="1",
                    on_click=S.restore(r.id),
                    class_name="restore-item",
                ),
                rx.cond(
                    S.may_empty,
                    confirm_dialog(
                        "Delete for good?",
                        "It is removed now, with its files, and cannot come back.",
                        S.delete_forever(r.id),
                        trigger_label="Delete now",
                        trigger_class="delete-forever",
                        confirm_class="confirm-delete-forever",
                    ),
                ),
                spacing="2",
                flex_shrink="0",
            ),
            justify="between",
            align="start",
            gap="3",
            wrap="wrap",
        ),
        width="100%",
        class_name="trash-row",
    )


def _list() -> rx.Component:
    return rx.cond(
        S.rows.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(rx.foreach(S.rows, _row), spacing="2", width="100%", id="trash-list"),
        empty_state(
            "trash-2",
            "The trash is empty",
            f"Deleted notes, memory entries, images, workflows and reports stay here for {TRASH_DAYS} days.",
            id="trash-empty",
        ),
    )


@signed_in_page
def trash_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Trash",
            rx.cond(
                S.may_empty & (S.rows.length() > 0),  # type: ignore[attr-defined]
                confirm_dialog(
                    "Empty the trash?",
                    "Everything in it is removed now, with its files, for the whole workspace.",
                    S.empty,
                    trigger_label="Empty trash",
                    trigger_class="empty-trash",
                    confirm_class="confirm-empty-trash",
                ),
            ),
            crumbs=[("Projects", routes.DASHBOARD), ("Trash", "")],
            description=f"What this workspace deleted in the last {TRASH_DAYS} days. Restore puts it back where "
            "it was; after {TRASH_DAYS} days it is removed for good.".replace("{TRASH_DAYS}", str(TRASH_DAYS)),
        ),
        error_callout(S.error),
        rx.cond(S.loaded, _list(), rx.center(rx.spinner(), width="100%", padding="2em")),
        spacing="4",
        width="100%",
    )
