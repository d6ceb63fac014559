"""The audit log page: who did what, when, from where, to what; filters and CSV/JSON export."""

from __future__ import annotations

import reflex as rx

from nyx_app.components.fields import field, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import page_header, section_card
from nyx_app.pages.api_tokens.nav import integration_links
from nyx_app.pages.audit.state import ACTIONS, AuditRow, AuditState, Choice


def _select(name: str, choices: rx.Var[list[Choice]] | list[Choice], value: rx.Var[str], label: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, id=f"audit-{name}", min_width="12em"),
        rx.select.content(
            rx.foreach(choices, lambda c: rx.select.item(c.label, value=c.value))
            if isinstance(choices, rx.Var)
            else rx.fragment(*[rx.select.item(c.label, value=c.value) for c in choices])
        ),
        name=name,
        default_value=value,
    )


def _cell(child: rx.Component) -> rx.Component:
    return rx.box(child, style={"flex": "1 1 11em", "maxWidth": "18em"})


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            _cell(
                field(
                    "Person",
                    "actor",
                    "audit-filter",
                    control=_select("actor", AuditState.actors, AuditState.actor, "Person"),
                )
            ),
            _cell(
                field(
                    "Action", "action", "audit-filter", control=_select("action", ACTIONS, AuditState.action, "Action")
                )
            ),
            _cell(field("From", "since", "audit-filter", type="date", default_value=AuditState.since)),
            _cell(field("To", "until", "audit-filter", type="date", default_value=AuditState.until)),
            rx.hstack(
                rx.button("Filter", type="submit", id="audit-apply"),
                rx.button("Clear", type="button", variant="soft", color_scheme="gray", on_click=AuditState.clear),
                align="end",
                padding_bottom="2px",
            ),
            gap="3",
            wrap="wrap",
            align="end",
        ),
        form_error("audit-filter"),
        on_submit=AuditState.apply,
        width="100%",
    )


def _row(r: AuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r.when, size="1", white_space="nowrap")),
        rx.table.cell(rx.badge(r.action_label, variant="soft"), rx.text(r.action, size="1", color_scheme="gray")),
        rx.table.cell(rx.text(r.actor, size="2")),
        rx.table.cell(
            rx.text(r.target, size="2"),
            rx.cond(r.target_type != "", rx.badge(r.target_type, color_scheme="gray", size="1")),
            rx.text(r.details, size="1", color_scheme="gray", class_name="audit-details"),
        ),
        rx.table.cell(rx.text(r.where, size="1"), rx.badge(r.via, color_scheme="gray", size="1")),
        class_name="audit-row",
    )


@signed_in_page(section="api")
def audit_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Audit log",
            rx.hstack(
                rx.link(
                    rx.button(rx.icon("download", size=14), "CSV", variant="soft"),
                    href=AuditState.csv_url,
                    id="export-csv",
                ),
                rx.link(
                    rx.button(rx.icon("download", size=14), "JSON", variant="soft"),
                    href=AuditState.json_url,
                    id="export-json",
                ),
                spacing="2",
            ),
            description="Sign-ins, people, keys, tokens, publishing, deletions and API calls: who, when, from where.",
        ),
        integration_links("audit"),
        error_callout(AuditState.error),
        section_card("Filter", _filters()),
        rx.cond(
            AuditState.loaded,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[rx.table.column_header_cell(h) for h in ("When", "Action", "Who", "What", "From")]
                        )
                    ),
                    rx.table.body(rx.foreach(AuditState.rows, _row)),
                    variant="surface",
                    size="1",
                    width="100%",
                    id="audit-table",
                ),
                rx.cond(
                    AuditState.rows.length() == 0, rx.text("Nothing matches.", color_scheme="gray", id="audit-empty")
                ),  # type: ignore[attr-defined]
                rx.cond(
                    AuditState.has_more,
                    rx.button(
                        "Show more", variant="soft", on_click=AuditState.show_more, id="audit-more", margin_top="0.75em"
                    ),
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.text("Loading…", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
    )
