"""The project page's Runs tab: the run history, newest first; each row opens its run page.

Loaded when the tab is shown (Radix mounts a tab's content only while it is selected), so every
visit shows the current statuses.
"""

from __future__ import annotations

import reflex as rx

from nyx_app.components.layout import error_callout
from nyx_app.components.page import empty_state
from nyx_app.pages.project import ProjectState
from nyx_app.pages.run_rows import HistoryRow, history_row
from nyx_app.services.runs import views
from nyx_app.state.session import AuthState, user_action


class RunsTabState(AuthState):
    loaded: bool = False
    runs: list[HistoryRow] = []

    @rx.event
    @user_action
    async def load(self):
        project_id = self.project_id  # type: ignore[attr-defined]  # route arg
        summaries = await self._in_tenant(lambda s, c: views.run_history(s, c, project_id))
        self.runs = [history_row(r, project_id) for r in summaries]
        self.loaded = True


def _row(r: HistoryRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.badge(r.status_label, color_scheme=r.status_color, class_name="history-status"),  # type: ignore[arg-type]
            rx.badge(r.kind_label, variant="outline", color_scheme="gray", class_name="history-kind"),
            rx.link(rx.text(r.title, weight="medium"), href=r.url, class_name="history-link", overflow_wrap="anywhere"),
            rx.cond(
                r.result_url != "",
                rx.link(
                    rx.hstack(rx.icon("arrow-right", size=12), r.result_label, spacing="1", align="center"),
                    href=r.result_url,
                    size="2",
                    class_name="history-result",
                ),
            ),
            rx.text(r.started_by, size="1", color_scheme="gray"),
            rx.text(r.created, size="1", color_scheme="gray"),
            rx.text(r.duration, size="1", class_name="history-duration"),
            rx.text(r.cost, size="1", class_name="history-cost"),
            spacing="3",
            align="center",
            flex_wrap="wrap",
        ),
        width="100%",
        class_name="history-row",
    )


def runs_tab() -> rx.Component:
    return rx.vstack(
        error_callout(RunsTabState.error, id="runs-error"),
        rx.cond(
            RunsTabState.runs.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(RunsTabState.runs, _row), spacing="2", width="100%"),
            rx.cond(
                RunsTabState.loaded,
                empty_state(
                    "history",
                    "No runs yet",
                    "A run is one pass of a workflow, a discussion round or a written report, with the cost and "
                    "duration of every step. Start a workflow to see its first run here.",
                    rx.button(
                        rx.icon("workflow", size=14),
                        "Go to workflows",
                        on_click=ProjectState.set_tab("workflows"),
                        id="runs-to-workflows",
                    ),
                    id="no-runs",
                ),
                rx.text("Loading runs…", color_scheme="gray"),
            ),
        ),
        width="100%",
        spacing="3",
        on_mount=RunsTabState.load,
    )
