"""The project page's Reports tab: generate a report of a kind, follow what is being written (a link
to its run's live page), and the list — type, title, date, author, size — to open, download as
Markdown or PDF, rename and delete. Also the "Make a report" button of a finished run's page.
State: ``project_reports_state.py``."""

from __future__ import annotations

import reflex as rx

from nyx_app.components.fields import form_error
from nyx_app.components.forms import confirm_delete, save_cancel
from nyx_app.components.page import empty_state
from nyx_app.components.start_blockers import start_blockers
from nyx_app.models.report import ReportKind
from nyx_app.pages.project_reports_state import ReportsTabState, RunReportState
from nyx_app.pages.report_rows import KindOption, ReportRow, RunChoice, WritingRow

S = ReportsTabState


def download_link(label: str, href: rx.Var[str] | str, icon: str, class_name: str = "", id: str = "") -> rx.Component:
    """A link the browser follows itself (``reload_document``: not the client router, which would
    look for a page there) and saves the file the server sends."""
    return rx.el.a(
        rx.button(rx.icon(icon, size=14), label, size="1", variant="soft", tab_index=-1),
        href=href,
        download="",
        reload_document=True,
        class_name=class_name,
        id=id,
    )


def run_report_button() -> rx.Component:
    return rx.button(
        rx.icon("file-text", size=14),
        "Make a report",
        variant="soft",
        loading=RunReportState.making,
        on_click=RunReportState.make,
        id="make-run-report",
    )


def _kind_choice(k: KindOption) -> rx.Component:
    return rx.radio_cards.item(rx.text(k.label, size="2", weight="medium"), value=k.value, id=f"kind-{k.value}")


def _run_option(r: RunChoice) -> rx.Component:
    return rx.select.item(r.label, value=r.id)


def _options() -> rx.Component:
    return rx.match(
        S.kind,
        (
            ReportKind.RUN.value,
            rx.cond(
                S.runs.length() > 0,  # type: ignore[attr-defined]
                rx.select.root(
                    rx.select.trigger(placeholder="Choose a finished run", id="report-run", width="100%"),
                    rx.select.content(rx.foreach(S.runs, _run_option)),
                    value=S.run_choice,
                    on_change=S.set_run_choice,
                ),
                rx.text("No finished run yet.", size="2", color_scheme="gray", id="no-finished-runs"),
            ),
        ),
        (
            ReportKind.DEVLOG.value,
            rx.hstack(
                rx.text("From", size="2"),
                rx.input(type="date", value=S.since, on_change=S.set_since, id="devlog-since"),
                rx.text("to", size="2"),
                rx.input(type="date", value=S.until, on_change=S.set_until, id="devlog-until"),
                align="center",
                flex_wrap="wrap",
            ),
        ),
        rx.fragment(),
    )


def _generate() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Generate a report", size="4", id="generate-report-heading"),
            rx.radio_cards.root(
                rx.foreach(S.kinds, _kind_choice),
                value=S.kind,
                on_value_change=S.set_kind,
                columns={"initial": "2", "md": "4"},  # type: ignore[arg-type]
                width="100%",
                id="report-kind",
            ),
            rx.text(S.kind_about, size="2", color_scheme="gray", id="report-kind-about"),
            _options(),
            rx.button(
                rx.icon("file-plus", size=14),
                "Generate",
                on_click=S.generate,
                loading=S.generating,
                disabled=S.kind_blockers.length() > 0,  # type: ignore[attr-defined]
                id="generate-report",
            ),
            start_blockers(S.kind_blockers, id="report-blockers"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _writing(w: WritingRow) -> rx.Component:
    return rx.callout(
        rx.hstack(
            rx.text(rx.text.span(w.kind_label, weight="medium"), " · ", w.title, size="2"),
            rx.badge(w.status_label, color_scheme=w.status_color, class_name="writing-status"),  # type: ignore[arg-type]
            rx.link("Watch its run", href=w.run_url, size="2", class_name="writing-run-link"),
            rx.cond(
                w.unsaved,
                rx.button("Save the report", size="1", variant="soft", on_click=S.save_unsaved(w.run_id)),
            ),
            rx.cond(w.error != "", rx.text(w.error, size="1", color_scheme="red")),
            align="center",
            flex_wrap="wrap",
            spacing="3",
        ),
        icon=rx.cond(w.active, "loader", "circle-alert"),  # type: ignore[arg-type]
        color_scheme=rx.cond(w.active, "blue", "amber"),  # type: ignore[arg-type]
        size="1",
        class_name="writing-row",
        width="100%",
    )


def _rename_form(r: ReportRow) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.input(name="title", default_value=r.title, id="rename-title", flex="1", max_length=200),
                save_cancel("Save title", "save-title", S.cancel_rename),
                width="100%",
                align="center",
                flex_wrap="wrap",
            ),
            form_error("rename-report"),
            width="100%",
            spacing="2",
        ),
        on_submit=S.rename,
        width="100%",
    )


def _pdf_cell(r: ReportRow) -> rx.Component:
    return rx.cond(
        r.pdf_ready,
        download_link("PDF", r.pdf_url, "file-down", class_name="download-pdf"),
        rx.hstack(
            rx.text(
                r.pdf_note,
                size="1",
                color_scheme=rx.cond(r.pdf_failed, "red", "gray"),  # type: ignore[arg-type]
                class_name="pdf-note",
            ),
            rx.cond(
                r.may_retry_pdf,
                rx.button("Make the PDF again", size="1", variant="ghost", on_click=S.render_again(r.id)),
            ),
            align="center",
            spacing="2",
        ),
    )


def _row(r: ReportRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(
                S.renaming == r.id,
                _rename_form(r),
                rx.hstack(
                    rx.badge(r.kind_label, color_scheme=r.kind_color, class_name="report-kind"),  # type: ignore[arg-type]
                    rx.link(rx.text(r.title, weight="medium"), href=r.url, class_name="report-link"),
                    rx.cond(r.published, rx.badge("published", color_scheme="green", variant="outline")),
                    align="center",
                    flex_wrap="wrap",
                    spacing="2",
                ),
            ),
            rx.hstack(
                rx.text(r.created, size="1", color_scheme="gray"),
                rx.text(r.author, size="1", color_scheme="gray", class_name="report-author"),
                rx.text(r.size, size="1", color_scheme="gray", class_name="report-size"),
                rx.spacer(),
                download_link("Markdown", r.markdown_url, "file-text", class_name="download-markdown"),
                _pdf_cell(r),
                rx.button(
                    "Rename", size="1", variant="soft", on_click=S.start_rename(r.id), class_name="rename-report"
                ),
                rx.cond(
                    r.may_delete,
                    confirm_delete(
                        "Delete report?",
                        "The report goes to the trash for 30 days (its public link ends now); Undo puts it back.",
                        S.delete(r.id),
                        trigger_class="delete-report",
                        confirm_class="confirm-delete-report",
                    ),
                ),
                align="center",
                flex_wrap="wrap",
                spacing="2",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="report-row",
    )


def reports_tab() -> rx.Component:
    # A refusal shows in the project page's own callout, above the tabs (the error is the session
    # state's, shared by the page and its tabs).
    return rx.vstack(
        _generate(),
        rx.foreach(S.writing, _writing),
        rx.cond(
            S.rows.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(S.rows, _row), spacing="2", width="100%", id="report-list"),
            rx.cond(
                S.loaded,
                empty_state(
                    "file-text",
                    "No reports yet",
                    "A report keeps what a run found, an overview of the project, an executive summary or a "
                    "dev-log post, to read here or download as Markdown or PDF. Choose a kind above and generate one.",
                    rx.button(
                        rx.icon("file-plus", size=14),
                        "Generate a report",
                        on_click=rx.scroll_to("report-kind"),  # type: ignore[arg-type]
                        variant="soft",
                        id="no-reports-generate",
                    ),
                    id="no-reports",
                ),
                rx.text("Loading reports…", color_scheme="gray"),
            ),
        ),
        width="100%",
        spacing="3",
        on_mount=S.load,
    )
