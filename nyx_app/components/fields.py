"""Form fields with a label, an optional hint and their own error message, and the form-level
message: the one way forms show what is wrong, every field at once, right where it is.

    rx.form(
        field("Project name", "name", "new-project"),
        field("Description", "description", "new-project", multiline=True, hint="Optional."),
        form_error("new-project"),
        rx.button("Create", type="submit"),
        on_submit=DashboardState.create,   # decorated @user_action(form="new-project")
    )

``field(label, name, form)`` renders ``<input name=name id="{form}-{name}">`` (pass ``id=`` to
keep an older id, ``control=`` for a select or anything else); its message comes from
``AuthState.field_errors["{form}.{name}"]``, which ``user_action(form=...)`` fills from the
service's ``InvalidFields``. The input gets ``aria-invalid`` and ``aria-describedby`` pointing at
the message (``#{id}-error``), so screen readers read it too. ``form_error(form)`` shows a refusal
of that form that names no field (not allowed, not found, a conflict).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from nyx_app.state.session import AuthState


def field_error(form: str, name: str) -> rx.Var[str]:
    """The message for one field of one form ("" when there is none)."""
    return AuthState.field_errors.get(f"{form}.{name}", "").to(str)  # type: ignore[attr-defined]


def field_label(text: str | rx.Var[str], control_id: str) -> rx.Component:
    """A real <label for=...> (Radix Text drops ``html_for``, which left every input unnamed)."""
    return rx.el.label(rx.text(text, as_="span", size="2", weight="medium"), html_for=control_id)


def field(
    label: str,
    name: str,
    form: str,
    *,
    control: rx.Component | None = None,
    id: str = "",
    hint: str | rx.Component = "",
    multiline: bool = False,
    **props: Any,
) -> rx.Component:
    """A labelled input (or ``control``) with its hint and, when refused, its message below it."""
    control_id = id or f"{form}-{name}"
    error = field_error(form, name)
    invalid = rx.cond(error != "", "true", "false")
    if control is None:
        make = rx.text_area if multiline else rx.input
        control = make(
            name=name,
            id=control_id,
            width="100%",
            aria_invalid=invalid,
            aria_describedby=f"{control_id}-error",
            color_scheme=rx.cond(error != "", "red", "gray"),
            **props,
        )
    return rx.vstack(
        field_label(label, control_id),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")) if isinstance(hint, str) else hint,
        rx.cond(
            error != "",
            rx.text(
                rx.icon("circle-alert", size=13, display="inline-block", vertical_align="-2px", margin_right="4px"),
                error,
                size="1",
                color_scheme="red",
                id=f"{control_id}-error",
                role="alert",
            ),
        ),
        spacing="1",
        width="100%",
        class_name="nyx-field",
    )


def form_error(form: str, id: str = "") -> rx.Component:
    """A refusal of ``form`` that belongs to no single field, shown inside the form."""
    return rx.cond(
        (AuthState.error != "") & (AuthState.error_form == form),
        rx.callout(
            AuthState.error, icon="triangle-alert", color_scheme="red", role="alert", size="1", id=id or f"{form}-error"
        ),
    )


def page_error(id: str = "form-error") -> rx.Component:
    """A refusal of a page-level action (not from a named form), near the top of the page."""
    return rx.cond(
        (AuthState.error != "") & (AuthState.error_form == ""),
        rx.callout(AuthState.error, icon="triangle-alert", color_scheme="red", role="alert", size="1", id=id),
    )
