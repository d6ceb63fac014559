"""The report viewer: the report's Markdown rendered (the one renderer, HTML stored when the report
was saved), its Mermaid diagrams drawn in the browser by the app's own diagram script, a table of
contents from its headings, downloads (Markdown, PDF, and a run report's JSON record), rename,
"make the PDF again", and for a dev-log post publish/unpublish with its public address.

``load`` (on_load) reads the report in one transaction; while its PDF is being made a watcher
started from it re-reads on each change (Reflex ends it when the tab goes or navigates).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.forms import save_cancel
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import not_found_view, page_header
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live.hub import hub
from nyx_app.models.report import PdfStatus, ReportKind
from nyx_app.pages.project_reports import download_link
from nyx_app.pages.report_rows import KIND_COLORS, TocEntry, pdf_note, table_of_contents, when
from nyx_app.pages.reports.publishing import publishing_panel
from nyx_app.services import auth, trash
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound, ServiceError
from nyx_app.services.permissions import Action
from nyx_app.services.reports import publish, store
from nyx_app.services.reports.store import ReportView, reports_key
from nyx_app.services.reports.text import size
from nyx_app.settings import get_settings
from nyx_app.state.session import AuthState, user_action
from nyx_app.state.trash import moved

SAFETY_POLL_S = 10.0


@dataclasses.dataclass
class Head:
    title: str = ""
    kind: str = ""
    kind_label: str = ""
    kind_color: str = "gray"
    project_name: str = ""
    created: str = ""
    author: str = ""
    size: str = ""
    pdf_ready: bool = False
    pdf_pending: bool = False
    pdf_note: str = ""
    pdf_failed: bool = False
    may_retry_pdf: bool = False
    markdown_url: str = ""
    pdf_url: str = ""
    json_url: str = ""
    run_url: str = ""  # the run it describes, or the run that wrote it
    published: bool = False
    public_url: str = ""
    may_delete: bool = False
    may_publish: bool = False
    is_post: bool = False


def head_of(v: ReportView, project_id: str, may_publish: bool) -> Head:
    s = v.summary
    run_id = v.source_run_id or v.writer_run_id
    public = get_settings().public_url.rstrip("/") + routes.public_post_url(v.public_id) if v.public_id else ""
    return Head(
        title=s.title,
        kind=s.kind.value,
        kind_label=s.kind.label,
        kind_color=KIND_COLORS.get(s.kind.value, "gray"),
        project_name=v.project_name,
        created=when(s.created_at),
        author=s.author,
        size=size(s.size_bytes) + (f" · PDF {size(s.pdf_bytes)}" if s.pdf_status == PdfStatus.READY else ""),
        pdf_ready=s.pdf_status == PdfStatus.READY,
        pdf_pending=s.pdf_status == PdfStatus.PENDING and not s.pdf_stuck,
        pdf_note=pdf_note(s.pdf_status, s.pdf_error, s.pdf_stuck),
        pdf_failed=s.pdf_status == PdfStatus.FAILED,
        may_retry_pdf=s.pdf_status == PdfStatus.FAILED or s.pdf_stuck,
        markdown_url=routes.report_download_url(s.id, "markdown"),
        pdf_url=routes.report_download_url(s.id, "pdf"),
        json_url=routes.report_download_url(s.id, "json") if v.has_record else "",
        run_url=routes.run_url(project_id, run_id) if run_id else "",
        published=s.published,
        public_url=public,
        may_delete=s.may_delete,
        may_publish=may_publish and s.kind == ReportKind.DEVLOG,
        is_post=s.kind == ReportKind.DEVLOG,
    )


async def read_report(s: AsyncSession, c: TenantContext, report_id: str, project_id: str) -> tuple[Head, str]:
    view = await store.report_view(s, c, report_id, project_id)
    return head_of(view, project_id, c.may(Action.REPORT_PUBLISH)), view.html


class ReportState(AuthState):
    found: bool = True
    loaded: bool = False
    head: Head = Head()
    html: str = ""
    toc: list[TocEntry] = []
    renaming: bool = False
    _report: str = ""
    _project: str = ""
    _gen: int = 0
    _reads: int = 0  # counts the reads made by the user's own events

    @rx.var
    def project_reports_url(self) -> str:
        return routes.project_url(self._project, "reports") if self._project else routes.DASHBOARD

    @rx.var
    def project_home(self) -> str:
        return routes.project_url(self._project) if self._project else routes.DASHBOARD

    def _apply(self, head: Head, html: str) -> None:
        if head != self.head:
            self.head = head
        if html != self.html:
            self.html, self.toc = html, table_of_contents(html)
        self.found = self.loaded = True

    async def _refresh(self) -> None:
        report_id, project_id = self._report, self._project
        self._apply(*await self._in_tenant(lambda s, c: read_report(s, c, report_id, project_id)))
        self._reads += 1

    @rx.event
    @user_action
    async def load(self):
        report_id, project_id = self.report_id, self.project_id  # type: ignore[attr-defined]  # route args
        if report_id != self._report:
            self.loaded, self.head, self.html, self.toc, self.renaming = False, Head(), "", [], False
        self._report, self._project, self._gen = report_id, project_id, self._gen + 1
        try:
            await self._refresh()
        except NotFound:
            # The same answer for a made-up id, another tenant's report and another project's URL.
            self.found, self.loaded = False, True
            return None
        return ReportState.watch

    @rx.event(background=True)
    async def watch(self):
        """While the PDF is being made: re-read on each change of the project's reports."""
        async with self:
            gen, token, report_id, project_id = self._gen, self._session_token(), self._report, self._project
        async with hub().watch(RUNS_CHANNEL, reports_key(project_id)) as changed:
            while True:
                async with self:
                    if self._gen != gen or not self.head.pdf_pending:
                        return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), SAFETY_POLL_S)
                changed.clear()
                async with self:
                    reads = self._reads
                try:
                    ident = await auth.resolve(token)
                    if ident is None:
                        return
                    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
                    async with transaction(ctx.tenant_id, ctx.user_id) as session:
                        head, html = await read_report(session, ctx, report_id, project_id)
                except ServiceError:
                    return
                async with self:
                    if self._gen != gen:
                        return
                    # The user's own event (publish, rename) read the report meanwhile: that read
                    # may be newer than this one, which must not put the older state back.
                    if self._reads == reads:
                        self._apply(head, html)

    async def _act(self, action) -> None:  # type: ignore[no-untyped-def]
        report_id = self._report
        await self._in_tenant(lambda s, c: action(s, c, report_id))
        await self._refresh()

    @rx.event
    def start_rename(self):
        self.renaming = True

    @rx.event
    def cancel_rename(self):
        self.renaming, self.error, self.field_errors = False, "", {}

    @rx.event
    @user_action(form="rename-report")
    async def rename(self, form: dict[str, str]):
        title = form.get("title", "")
        await self._act(lambda s, c, r: store.rename_report(s, c, r, title))
        self.renaming = False
        return ReportState.watch

    @rx.event
    @user_action
    async def render_again(self):
        await self._act(store.render_again)
        return ReportState.watch

    @rx.event
    @user_action
    async def toggle_published(self):
        await self._act(publish.unpublish if self.head.published else publish.publish)

    @rx.event
    @user_action
    async def delete(self):
        report_id, back = self._report, self.project_reports_url
        binned = await self._in_tenant(lambda s, c: trash.trash_report(s, c, report_id))
        return [rx.redirect(back), moved(binned)]


H = ReportState.head

# Diagrams drawn by the browser sit on white, as on paper, whatever the app's theme.
_VIEW_STYLE = {
    "& th": {"white_space": "nowrap"},
    # Note thumbnails (overview, traceability) in a row, at thumbnail size.
    "& img[src$='/thumb']": {"height": "7em", "width": "auto", "margin": "0 0.4em 0.4em 0"},
}  # fmt: skip


def _toc_entry(e: TocEntry) -> rx.Component:
    # Scrolled to by the page itself: a router link to "#id" changes the address but never scrolls.
    return rx.box(
        rx.text(e.text, size="1", trim="both"),
        on_click=rx.scroll_to(e.anchor),  # type: ignore[arg-type]
        role="link",
        cursor="pointer",
        padding_left=rx.match(e.level, (1, "0"), (2, "0.8em"), "1.6em"),
        color="var(--gray-11)",
        _hover={"color": "var(--accent-11)"},
        class_name="toc-entry",
        padding_y="0.15em",
    )


def _toc() -> rx.Component:
    return rx.box(
        rx.text("Contents", size="2", weight="medium"),
        rx.foreach(ReportState.toc, _toc_entry),
        position="sticky",
        top="1em",
        max_height="calc(100vh - 2em)",
        overflow_y="auto",
        width="15em",
        flex_shrink="0",
        # Beside the text on a wide screen only: on a phone it would squeeze the text to a sliver.
        display=rx.breakpoints(initial="none", md="block"),
        id="report-toc",
    )


def _actions() -> rx.Component:
    return rx.hstack(
        download_link("Markdown", H.markdown_url, "file-text", id="download-markdown"),
        rx.cond(
            H.pdf_ready,
            download_link("PDF", H.pdf_url, "file-down", id="download-pdf"),
            rx.text(H.pdf_note, size="2", color_scheme=rx.cond(H.pdf_failed, "red", "gray"), id="pdf-note"),  # type: ignore[arg-type]
        ),
        rx.cond(
            H.may_retry_pdf,
            rx.button("Make the PDF again", size="1", variant="soft", on_click=ReportState.render_again),
        ),
        rx.cond(H.json_url != "", download_link("JSON record", H.json_url, "braces", id="download-json")),
        rx.button("Rename", size="1", variant="soft", on_click=ReportState.start_rename, id="rename-report"),
        rx.cond(H.run_url != "", rx.link("Open its run", href=H.run_url, size="2", id="report-run-link")),
        rx.cond(
            H.may_delete,
            confirm_dialog(
                "Delete report?",
                "The report goes to the trash for 30 days (its public link ends now); Undo puts it back.",
                ReportState.delete,
                trigger_class="delete-report",
                confirm_class="confirm-delete-report",
            ),
        ),
        align="center",
        flex_wrap="wrap",
        spacing="2",
    )  # fmt: skip


def _rename_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Title",
                "title",
                "rename-report",
                id="report-title-input",
                default_value=H.title,
                max_length=200,
                auto_focus=True,
            ),
            form_error("rename-report"),
            save_cancel("Save title", "save-report-title", ReportState.cancel_rename),
            width="100%",
            spacing="2",
        ),
        on_submit=ReportState.rename,
        width="100%",
        max_width="36em",
    )


def _header() -> rx.Component:
    return rx.vstack(
        page_header(
            H.title,
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (H.project_name, ReportState.project_home),
                ("Reports", ReportState.project_reports_url),
                (H.title, ""),
            ],
            badges=[rx.badge(H.kind_label, color_scheme=H.kind_color, id="report-kind")],  # type: ignore[arg-type]
            id="report-title",
        ),
        rx.cond(ReportState.renaming, _rename_form()),
        rx.text(H.created, " · ", H.author, " · ", H.size, size="2", color_scheme="gray", id="report-meta"),
        _actions(),
        publishing_panel(H, ReportState.toggle_published),
        error_callout(ReportState.error),
        spacing="3",
        width="100%",
    )


def _not_found() -> rx.Component:
    return not_found_view("Report not found", "It does not exist, or it is not in your current workspace.")


@signed_in_page(section="projects")
def report_page() -> rx.Component:
    return rx.fragment(
        rx.cond(
            ReportState.found,
            rx.cond(
                ReportState.loaded,
                rx.vstack(
                    _header(),
                    rx.hstack(
                        rx.box(
                            markdown_view(
                                ReportState.html, class_name="report-body", style=_VIEW_STYLE, id="report-body"
                            ),
                            flex="1",
                            min_width="0",  # wide tables and code scroll inside the text, not the page
                        ),
                        _toc(),
                        align="start",
                        spacing="6",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                rx.hstack(rx.spinner(), rx.text("Loading the report…", color_scheme="gray"), padding="2em"),
            ),
            _not_found(),
        ),
    )
