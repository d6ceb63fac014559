"""The workflow editor page: name, description, the steps as cards in order, the problems next to
the steps they concern, the estimate, and Start run."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.fields import field, field_error, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import not_found_view, page_header
from nyx_app.components.persona_picker import persona_picker
from nyx_app.components.start_blockers import start_blockers
from nyx_app.pages.workflow_editor_state import EditorState
from nyx_app.pages.workflow_form import EstimateStep
from nyx_app.pages.workflow_step_card import step_card


def _estimate_step(s: EstimateStep) -> rx.Component:
    return rx.text(s.name, ": ", s.calls, " call(s), ", s.cost, " · ", s.model, size="1", color_scheme="gray")


def _estimate() -> rx.Component:
    e = EditorState.estimate
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Estimate", size="3", as_="h2"),
                rx.cond(EditorState.dirty, rx.text("(of the saved version)", size="1", color_scheme="gray")),
                align="center",
            ),
            rx.hstack(
                rx.text(e.calls, size="2", id="estimate-calls"),
                rx.text(e.tokens, size="2", id="estimate-tokens"),
                rx.text(e.cost, size="2", weight="medium", id="estimate-cost"),
                spacing="4",
                flex_wrap="wrap",
            ),
            rx.cond(
                e.unpriced_note != "",
                rx.text(e.unpriced_note, size="1", color_scheme="amber", id="estimate-unpriced"),
            ),
            rx.cond(e.budget_note != "", rx.text(e.budget_note, size="1", id="estimate-budget")),
            rx.text(
                "Steps without a model of their own use ",
                rx.code(EditorState.model_label, id="estimate-model"),
                size="1",
            ),
            rx.foreach(e.steps, _estimate_step),
            rx.text(
                "A step that runs for each item of a list not made yet is counted as 3 to 20 calls.",
                size="1",
                color_scheme="gray",
            ),
            spacing="2",
        ),
        width="100%",
        id="estimate",
    )


def _start() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button(
                rx.icon("play", size=14),
                rx.cond(EditorState.dirty, "Save and start run", "Start run"),
                on_click=EditorState.start,
                id="start-run",
                # Edits may fix what the saved version lacks: then saving and starting is tried.
                disabled=(EditorState.blockers.length() > 0) & ~EditorState.dirty,  # type: ignore[attr-defined]
            ),
            rx.button("Save", variant="soft", on_click=EditorState.save, id="save-workflow"),
            rx.cond(EditorState.dirty, rx.text("Unsaved changes", size="1", color_scheme="amber", id="unsaved")),
            spacing="3",
            align="center",
            flex_wrap="wrap",
        ),
        start_blockers(EditorState.blockers, id="start-blockers"),
        rx.cond(
            EditorState.start_error != "",
            rx.callout(
                rx.text(
                    EditorState.start_error,
                    rx.cond(
                        EditorState.start_active_url != "",
                        rx.link(" Open the active run.", href=EditorState.start_active_url, id="active-run-link"),
                    ),
                ),
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                id="start-error",
            ),
        ),
        width="100%",
        spacing="2",
    )


def _form_field(label_text: str, name: str, control: rx.Component) -> rx.Component:
    """A field of the editor's "workflow" form: its message (a duplicate name, say) shows under it."""
    return field(label_text, name, "workflow", control=control, id=f"workflow-{name}")


def _invalid(name: str) -> rx.Var[str]:
    return rx.cond(field_error("workflow", name) != "", "true", "false")


def _top() -> rx.Component:
    return rx.vstack(
        page_header(
            EditorState.saved_name,
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (EditorState.project_name, EditorState.project_home),
                ("Workflows", EditorState.project_link),
                (EditorState.saved_name, ""),
            ],
            description="Steps run in order of what they wait for; each one's answer feeds the steps after it.",
            id="workflow-title",
        ),
        _form_field(
            "Name",
            "name",
            rx.input(
                value=EditorState.name,
                on_change=EditorState.set_name,
                width="100%",
                id="workflow-name",
                aria_invalid=_invalid("name"),
                aria_describedby="workflow-name-error",
            ),
        ),
        _form_field(
            "Description",
            "description",
            rx.text_area(
                value=EditorState.description,
                on_change=EditorState.set_description,
                rows="2",
                width="100%",
                id="workflow-description",
                aria_invalid=_invalid("description"),
                aria_describedby="workflow-description-error",
            ),
        ),
        error_callout(EditorState.error),
        form_error("workflow"),
        rx.cond(  # the count of problems; each is shown at its step
            EditorState.save_error != "",
            rx.callout(EditorState.save_error, icon="triangle-alert", color_scheme="red", size="1", id="save-error"),
        ),
        rx.cond(
            EditorState.general_problems.length() > 0,  # type: ignore[attr-defined]
            rx.callout(
                rx.vstack(rx.foreach(EditorState.general_problems, lambda p: rx.text(p, size="1")), spacing="1"),
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                id="workflow-problems",
            ),
        ),
        width="100%",
        spacing="3",
    )


def _persona_dialog() -> rx.Component:
    """One PersonaPicker (single choice) for the step being edited."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Speak as a persona"),
            rx.dialog.description(
                "The persona's system prompt leads the step's prompt, and each run of the step counts as a use.",
                size="2",
            ),
            rx.box(
                persona_picker(
                    EditorState.persona_sections,
                    EditorState.persona_selected,
                    EditorState.persona_collapsed,
                    EditorState.persona_query,
                    on_query=EditorState.set_persona_query,
                    on_toggle=EditorState.pick_persona,
                    on_toggle_section=EditorState.toggle_persona_section,
                    multiple=False,
                    id="step-persona-picker",
                ),
                padding_y="1em",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", on_click=EditorState.close_persona_picker)),
                justify="end",
            ),
            max_width="760px",
        ),
        open=EditorState.picking >= 0,
        on_open_change=EditorState.persona_picker_changed,
    )


def _editor() -> rx.Component:
    return rx.vstack(
        _top(),
        _estimate(),
        _start(),
        rx.heading("Steps", size="4", as_="h2"),
        rx.vstack(rx.foreach(EditorState.steps, step_card), spacing="3", width="100%", id="steps"),
        rx.button(rx.icon("plus", size=14), "Add step", variant="soft", on_click=EditorState.add_step, id="add-step"),
        _persona_dialog(),
        spacing="4",
        width="100%",
    )


def _not_found() -> rx.Component:
    return not_found_view("Workflow not found", "It does not exist, or it is not in your current workspace.")


@signed_in_page(section="projects")
def workflow_page() -> rx.Component:
    return rx.cond(
        EditorState.found,
        rx.cond(EditorState.loaded, _editor(), rx.center(rx.spinner(), width="100%", padding="2em")),
        _not_found(),
    )
