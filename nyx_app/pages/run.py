"""The run page: a workflow run as it happens and after — its steps, fan-out items, costs, failures
in words, coverage, review, and the buttons that steer it. Live: see ``run_state.py``."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import not_found_view, page_header
from nyx_app.pages.project_reports import run_report_button
from nyx_app.pages.run_rows import CoverageRow, RetrievedRow
from nyx_app.pages.run_state import RunState
from nyx_app.pages.run_steps import step_card
from nyx_app.pages.runs.kept import kept

H = RunState.head
# Step rows that did not change keep their identity in the browser: their memoised cards are not drawn again.
STEPS = kept(RunState.steps, "run_steps")


def _fact(label: str, value: rx.Var[str], id: str, ticking: rx.Var[str] | None = None) -> rx.Component:
    extra = {"data-elapsed": ticking} if ticking is not None else {}
    return rx.text(rx.text.span(label, color_scheme="gray"), " ", rx.text.span(value, id=id, **extra), size="2")


def _cancel_button() -> rx.Component:
    return confirm_dialog(
        "Cancel this run?",
        "Calls in progress are stopped. Finished steps are kept; you can resume the run later.",
        RunState.cancel,
        trigger=rx.button(
            rx.icon("square", size=14), "Cancel run", color_scheme="red", variant="soft", id="cancel-run", type="button"
        ),
        confirm_label="Cancel run",
        cancel_label="Keep running",
        confirm_id="confirm-cancel-run",
    )


def _pause_menu() -> rx.Component:
    """Pause: the steps in progress finish first, or their calls stop now (they run again on resume)."""
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(rx.icon("pause", size=14), "Pause", variant="soft", id="pause-run", type="button")
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(
                "Let the steps in progress finish", on_select=RunState.pause("finish"), id="pause-finish"
            ),
            rx.dropdown_menu.item(
                "Stop them now (they run again on resume)", on_select=RunState.pause("now"), id="pause-now"
            ),
        ),
    )


def _rerun_dialog() -> rx.Component:
    """Re-run from a step: its prompt and model as this run had them, to edit."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Re-run from “", RunState.rerun_title, "”"),
            rx.dialog.description(
                "Steps before this one keep their answers (not asked or paid again); this step and every "
                "step after it run again. The new run uses this run's workflow as it was, with your change.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    rx.text("Prompt", as_="label", html_for="rerun-prompt", size="2", weight="medium"),
                    rx.text_area(
                        name="prompt", default_value=RunState.rerun_prompt, id="rerun-prompt", rows="8", width="100%"
                    ),
                    rx.text("Model (empty: the project's model)", as_="label", html_for="rerun-model", size="2"),
                    rx.input(name="model", default_value=RunState.rerun_model, id="rerun-model", width="100%"),
                    error_callout(RunState.rerun_error, id="rerun-error"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button(rx.icon("play", size=14), "Re-run from here", type="submit", id="rerun-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=RunState.rerun,
                key=RunState.rerun_key,  # a new step: a new form with its own defaults
            ),
        ),
        open=RunState.rerun_key != "",
        on_open_change=RunState.close_rerun,
    )


def _compare_dialog() -> rx.Component:
    """Compare models on a step: 2 to 4 models, one a line, told before starting what is refused."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Compare models on this step"),
            rx.dialog.description(
                "Each model answers the same input; the steps before keep their answers (not asked again). "
                "A model the workspace cannot reach, or a budget too small for all of them, is refused before "
                "anything starts.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    rx.text("Models, one a line (provider/model)", as_="label", html_for="compare-models", size="2"),
                    rx.text_area(
                        name="models",
                        id="compare-models",
                        rows="4",
                        width="100%",
                        placeholder="anthropic/claude-sonnet-4-6\nopenai/gpt-4.1",
                    ),
                    error_callout(RunState.compare_error, id="compare-error"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button(rx.icon("play", size=14), "Compare", type="submit", id="compare-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=RunState.compare_models,
            ),
        ),
        open=RunState.compare_key != "",
        on_open_change=RunState.close_compare,
    )


def _lineage() -> rx.Component:
    return rx.cond(
        H.rerun_of_url != "",
        rx.hstack(
            rx.link(H.rerun_note, href=H.rerun_of_url, id="rerun-of", size="2"),
            rx.link(
                rx.button(rx.icon("columns-2", size=14), "Compare step by step", variant="soft", size="1"),
                href=H.compare_url,
                id="compare-with-earlier",
            ),
            align="center",
            spacing="3",
            flex_wrap="wrap",
        ),
    )


def _actions() -> rx.Component:
    return rx.vstack(
        _lineage(),
        rx.cond(H.winner != "", rx.callout(H.winner, icon="trophy", color_scheme="green", size="1", id="winner")),
        _rerun_dialog(),
        _compare_dialog(),
        rx.cond(
            H.paused != "",
            rx.callout(H.paused, icon="pause", color_scheme="iris", size="1", id="run-paused"),
        ),
        rx.cond(H.pausing != "", rx.text(H.pausing, size="2", color_scheme="iris", id="run-pausing")),
        rx.hstack(
            rx.cond(H.can_pause, _pause_menu()),
            rx.cond(H.active & ~H.stopping, _cancel_button()),
            rx.cond(
                H.stopping,
                rx.text("Stopping… calls in progress are being cancelled.", size="2", color_scheme="orange"),
            ),
            # A finished run (succeeded, failed or cancelled) can be kept as a report.
            rx.cond(~H.active & (H.status != ""), run_report_button()),
            rx.cond(
                H.resumable,
                rx.hstack(
                    rx.button(rx.icon("play", size=14), "Resume", on_click=RunState.resume, id="resume-run"),
                    rx.text(
                        "Finished steps are kept, not paid again. The run goes on with the workflow as it was "
                        "when the run started, whatever was edited since.",
                        size="1",
                        color_scheme="gray",
                    ),
                    align="center",
                    flex_wrap="wrap",
                ),
            ),
            spacing="3",
            align="center",
            flex_wrap="wrap",
        ),
        error_callout(RunState.action_error, id="action-error"),
        width="100%",
    )


def _coverage(c: CoverageRow) -> rx.Component:
    return rx.callout(
        rx.text(
            rx.text.span(c.text, class_name="coverage-text"),
            rx.cond(c.missing != "", rx.text.span(". Missing: ", c.missing, class_name="coverage-missing")),
        ),
        icon=rx.cond(c.complete, "circle-check", "circle-alert"),  # type: ignore[arg-type]
        color_scheme=rx.cond(c.complete, "green", "amber"),  # type: ignore[arg-type]
        high_contrast=True,
        size="1",
        class_name="coverage",
        id=f"coverage-{c.step}",
    )


def _retrieved_row(r: RetrievedRow) -> rx.Component:
    return rx.hstack(
        rx.badge(r.ref, variant="outline", size="1"),
        rx.text(r.source, size="1", color_scheme="gray"),
        rx.link(r.title, href=r.href, size="2", class_name="retrieved-title"),
        rx.badge("matched by ", r.why, size="1", variant="soft"),
        spacing="2",
        align="center",
        wrap="wrap",
        class_name="retrieved-passage",
    )


def _retrieved() -> rx.Component:
    """What the prompts took from the workspace ({{insights}}, {{policies}} …), so outputs that
    cite [I1] or [P2] can be traced to the passage."""
    return rx.cond(
        H.retrieval,
        rx.el.details(
            rx.el.summary(rx.text("Retrieved for this run (", H.retrieved.length(), ")", size="2", as_="span")),  # type: ignore[attr-defined]
            rx.cond(
                H.retrieved.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(rx.foreach(H.retrieved, _retrieved_row), spacing="1", padding_top="0.5em"),
                rx.text("Nothing relevant was found in the workspace.", size="2", color_scheme="gray"),
            ),
            open=True,
            id="run-retrieved",
        ),
    )


def _header() -> rx.Component:
    return rx.vstack(
        page_header(
            H.title,
            rx.cond(
                H.workflow_url != "",
                rx.link(
                    rx.button(rx.icon("workflow", size=14), "Open the workflow", variant="soft", size="2"),
                    href=H.workflow_url,
                    id="run-workflow-link",
                ),
            ),
            rx.cond(
                H.fixes_url != "",
                rx.link(
                    rx.button(rx.icon("wrench", size=14), "Select issues, see the fixes", variant="soft", size="2"),
                    href=H.fixes_url,
                    id="run-fixes-link",
                ),
            ),
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (H.project_name, H.project_home),
                ("Runs", H.project_url),
                (H.title, ""),
            ],
            badges=[
                rx.badge(H.status_label, color_scheme=H.status_color, size="3", high_contrast=True, id="run-status")  # type: ignore[arg-type]
            ],
            id="run-title",
        ),
        rx.hstack(
            _fact("started by", H.started_by, "run-started-by"),
            _fact("on", H.created, "run-created"),
            _fact("duration", H.duration, "run-duration", H.ticking),
            _fact("tokens in", H.tokens_in, "run-tokens-in"),
            _fact("out", H.tokens_out, "run-tokens-out"),
            _fact("cost", H.cost, "run-cost"),
            spacing="4",
            flex_wrap="wrap",
        ),
        rx.hstack(
            rx.progress(
                value=H.percent,
                width="100%",
                max_width="28em",
                class_name="nyx-live-progress",
                aria_label="Run progress",
            ),
            rx.text(H.progress, size="2", id="run-progress"),
            rx.cond(H.rest != "", rx.text("· ", H.rest, size="2", color_scheme="gray", id="run-rest")),
            align="center",
            width="100%",
            flex_wrap="wrap",
        ),
        rx.cond(
            H.error != "",
            rx.callout(H.error, icon="triangle-alert", color_scheme="red", size="1", id="run-error"),
        ),
        rx.cond(
            H.waiting != "",
            rx.callout(H.waiting, icon="hourglass", color_scheme="amber", size="1", id="run-waiting"),
        ),
        _actions(),
        _retrieved(),
        rx.foreach(RunState.coverage, _coverage),
        spacing="3",
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        error_callout(RunState.error),  # e.g. "your session ended" when it went while watching
        not_found_view("Run not found", "It does not exist, or it is not in your current workspace."),
        width="100%",
    )


def _loading() -> rx.Component:
    return rx.hstack(rx.spinner(), rx.text("Loading the run…", color_scheme="gray"), id="run-loading")


def _offline() -> rx.Component:
    """Shown by the page's own script (run_state.OFFLINE_HINT) while the browser is offline."""
    return rx.callout(
        "You are offline: this page is not updating. It catches up by itself when the connection is back.",
        icon="wifi-off",
        color_scheme="amber",
        size="1",
        id="offline-hint",
        display="none",
    )


@signed_in_page(section="projects")
def run_page() -> rx.Component:
    return rx.fragment(_offline(), _run())


def _run() -> rx.Component:
    return rx.cond(
        RunState.found,
        rx.cond(
            RunState.loaded,
            rx.vstack(
                _header(),
                error_callout(RunState.error),
                rx.cond(
                    H.comparing,  # a comparison of models: the answers side by side
                    rx.grid(
                        rx.foreach(STEPS, step_card),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3",
                        width="100%",
                        id="run-steps",
                    ),
                    rx.vstack(rx.foreach(STEPS, step_card), spacing="3", width="100%", id="run-steps"),
                ),
                spacing="4",
                width="100%",
            ),
            _loading(),
        ),
        _not_found(),
    )
