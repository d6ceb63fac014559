"""The Sources page of a project: import a repository (URL, branch, scan path, token), watch its
sync live (the run's notifications, like the run page), see the files it listed — skipped ones
with the reason — and open any read file, read-only and highlighted by the one Markdown renderer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.fields import field, form_error, page_error
from nyx_app.components.layout import signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import not_found_view, page_header, section_card
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.integrations import markdown
from nyx_app.live.hub import hub
from nyx_app.live.sessions import sessions
from nyx_app.services.code import analysis, docs, fixes, repo_map, sources
from nyx_app.services.code.fix_modes import FixMode
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.projects import get_project
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

FORM = "source"
SAFETY_POLL_S = 10.0
ACTIVE = ("pending", "running", "waiting")


@dataclasses.dataclass
class FileItem:
    path: str
    language: str
    size: str
    lines: str
    skipped: str


@dataclasses.dataclass
class PatternItem:
    category: str
    title: str
    text: str
    files: str


@dataclasses.dataclass
class Loaded:
    project_name: str
    view: sources.SourceView | None
    map: repo_map.RepoMap | None = None
    patterns: list[analysis.PatternView] = dataclasses.field(default_factory=list)


async def _load(s: AsyncSession, c: TenantContext, pid: str) -> Loaded:
    """The page in one read; the map only when no sync is running (it changes at the sync's end)."""
    project = await get_project(s, c, pid)
    view = await sources.view(s, c, project.id)
    idle = view is not None and view.last_run_status not in ACTIVE
    built = await repo_map.repo_map(s, c, project.id) if idle else None
    return Loaded(project.name, view, built, await analysis.patterns(s, c, project.id))


class SourcesState(AuthState):
    found: bool = True
    loaded: bool = False
    project_name: str = ""
    has_source: bool = False
    url: str = ""
    branch: str = ""
    scan_path: str = "/"
    token_hint: str = ""
    commit: str = ""
    summary: str = ""
    run_status: str = ""
    run_error: str = ""
    run_url: str = ""
    progress: str = ""
    files: list[FileItem] = []
    map_html: str = ""
    patterns: list[PatternItem] = []
    map_note: str = ""
    open_path: str = ""
    open_html: str = ""
    project_link: str = ""
    _pid: str = ""
    _run: str = ""
    _gen: int = 0

    @rx.var
    def syncing(self) -> bool:
        return self.run_status in ACTIVE

    def _show(self, loaded: Loaded) -> None:
        self.project_name, view = loaded.project_name, loaded.view
        self.project_link = routes.project_url(self._pid)
        self.has_source, self.found, self.loaded = view is not None, True, True
        self.patterns = [PatternItem(p.category, p.title, p.text, ", ".join(p.files)) for p in loaded.patterns]
        if view is None:
            return
        if loaded.map is not None:
            m = loaded.map
            self.map_html = markdown.render(sources.as_markdown(m.text, "")) if m.text else ""
            self.map_note = (
                f"{m.shown_symbols:,} of {m.total_symbols:,} symbols from {m.files:,} files, "
                f"ranked by how much the rest of the code refers to them; {m.tokens:,} of {m.budget:,} tokens."
            )
        self.url, self.branch, self.scan_path = view.url, view.branch, view.scan_path
        self.token_hint = f"Token set (…{view.token_last4})" if view.has_token else "No token (public repository)"
        self.commit = view.commit[:12]
        self.summary = (
            f"{view.file_count:,} files, {view.line_count:,} lines, {view.skipped_count:,} skipped "
            f"— {view.synced_branch} at {view.commit[:12]}, {view.synced_at}"
            if view.commit
            else "Not synced yet."
        )
        self.run_status, self.run_error, self.progress = view.last_run_status, view.last_run_error, view.progress
        self.run_url = routes.run_url(self._pid, view.last_run_id) if view.last_run_id else ""
        self._run = view.last_run_id
        self.files = [
            FileItem(f.path, f.language or "—", f"{f.size:,}", f"{f.lines:,}" if not f.skipped else "", f.skipped)
            for f in view.files
        ]

    async def _reader(self, s: AsyncSession, c: TenantContext) -> Loaded:
        return await _load(s, c, self._pid)

    @rx.event
    @user_action
    async def load(self):
        self._pid = self.project_id  # type: ignore[attr-defined]
        self.loaded, self.open_path, self.open_html = False, "", ""
        try:
            self._show(await self._read_page(self._reader))
        except NotFound:
            self.found, self.loaded = False, True
            return None
        return self._watching()

    def _watching(self) -> rx.event.EventSpec | None:
        """A watcher while a sync runs (it ends with the run, so one started by a button ends too)."""
        self._gen += 1
        return SourcesState.watch if self.run_status in ACTIVE and self._run else None  # type: ignore[return-value]

    @rx.event(background=True)
    async def watch(self):
        async with self:
            gen, token, pid, run_id = self._gen, self._session_token(), self._pid, self._run
        async with hub().watch(RUNS_CHANNEL, run_id) as changed, sessions().watching():
            while True:
                changed.clear()
                ident = await sessions().resolve(token)
                if ident is None:
                    return
                ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
                loaded: Loaded | None
                try:
                    async with transaction(ctx.tenant_id, ctx.user_id) as session:
                        loaded = await _load(session, ctx, pid)
                except Exception:  # gone, or the database away for a moment: the next round tries
                    loaded = None
                async with self:
                    if self._gen != gen:
                        return
                    if loaded is not None:
                        self._show(loaded)
                    if self.run_status not in ACTIVE or self._run != run_id:
                        return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=SAFETY_POLL_S)

    @rx.event
    @user_action(form=FORM)
    async def save_and_sync(self, form: dict[str, str]):
        pid = self._pid
        token = form.get("token", "")

        async def work(s: AsyncSession, c: TenantContext) -> Loaded:
            await sources.save_source(
                s, c, pid, url=form.get("url", ""), branch=form.get("branch", ""),
                scan_path=form.get("scan_path", ""), token=token if token or form.get("clear_token") else None,
            )  # fmt: skip
            await sources.start_sync(s, c, pid)
            return await self._reader(s, c)

        self._show(await self._in_tenant(work))
        return [toasts.done("Repository saved; the sync has started."), self._watching()]

    @rx.event
    @user_action
    async def sync(self):
        pid = self._pid

        async def work(s: AsyncSession, c: TenantContext) -> Loaded:
            await sources.start_sync(s, c, pid)
            return await self._reader(s, c)

        self._show(await self._in_tenant(work))
        return self._watching()

    @rx.event
    @user_action
    async def analyse(self):
        pid = self._pid
        run = await self._in_tenant(lambda s, c: analysis.start(s, c, pid))
        return [toasts.done("The code analysis has started."), rx.redirect(routes.run_url(pid, str(run.id)))]

    @rx.event
    @user_action
    async def start_fixes(self, mode: str):
        pid = self._pid
        if mode == "docs":
            run = await self._in_tenant(lambda s, c: docs.start(s, c, pid))
        elif mode in FixMode._value2member_map_:
            run = await self._in_tenant(lambda s, c: fixes.start(s, c, pid, FixMode(mode)))
        else:
            return None
        return rx.redirect(routes.fixes_url(pid, str(run.id)))

    @rx.event
    @user_action
    async def open_file(self, path: str):
        pid = self._pid
        files = {f.path: f for f in self.files}
        text = await self._in_tenant(lambda s, c: sources.read_file(s, c, pid, path))
        language = files[path].language if path in files else ""
        self.open_path, self.open_html = path, markdown.render(sources.as_markdown(text, language))

    @rx.event
    def close_file(self):
        self.open_path, self.open_html = "", ""


S = SourcesState


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field("Repository URL", "url", FORM, default_value=S.url, placeholder="https://github.com/owner/repo.git"),
            rx.hstack(
                field("Branch", "branch", FORM, default_value=S.branch, hint="Empty: the repository's default."),
                field("Scan path", "scan_path", FORM, default_value=S.scan_path, hint="/ is the repository root."),
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            field(
                "Token",
                "token",
                FORM,
                type="password",
                hint=rx.text(
                    rx.cond(S.has_source, S.token_hint, "For a private repository; stored encrypted."),
                    size="1",
                    color_scheme="gray",
                ),
                placeholder="Leave empty to keep the current one",
            ),
            form_error(FORM),
            rx.button(rx.icon("download", size=14), "Save and sync", type="submit", id="source-save"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save_and_sync,
        reset_on_submit=False,
        id="source-form",
    )


def _file_row(f: FileItem) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                f.skipped == "",
                # A button, not a link to "#": following "#" is a navigation that reloaded the page's
                # state and now and then closed the file the click had just opened.
                rx.button(f.path, on_click=S.open_file(f.path), variant="ghost", size="1", class_name="source-file"),
                rx.text(f.path, size="2", color_scheme="gray"),
            )
        ),
        rx.table.cell(f.language),
        rx.table.cell(f.lines),
        rx.table.cell(f.size),
        rx.table.cell(rx.cond(f.skipped != "", rx.badge(f.skipped, color_scheme="gray", size="1"))),
    )


def _files() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(*(rx.table.column_header_cell(h) for h in ("File", "Language", "Lines", "Bytes", "Skipped")))
        ),
        rx.table.body(rx.foreach(S.files, _file_row)),
        size="1",
        width="100%",
        id="source-files",
    )


def _sync_status() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(S.summary, size="2", id="source-summary"),
            rx.button(
                rx.icon("refresh-cw", size=14),
                "Sync",
                on_click=S.sync,
                disabled=S.syncing,
                variant="soft",
                id="source-sync",
            ),
            rx.cond(S.run_url != "", rx.link("Open the sync run", href=S.run_url, size="2", id="source-run")),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.cond(S.syncing, rx.callout("Syncing…", icon="loader", size="1", id="source-syncing")),
        rx.cond(
            (S.run_status == "failed") & (S.run_error != ""),
            rx.callout(S.run_error, icon="triangle-alert", color_scheme="red", size="1", id="source-sync-error"),
        ),
        rx.cond(S.progress != "", rx.el.pre(S.progress, class_name="source-progress", id="source-progress")),
        width="100%",
    )


def _pattern(p: PatternItem) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.badge(p.category, size="1"), rx.text(p.title, weight="bold", size="2"), spacing="2"),
        rx.text(p.text, size="2"),
        rx.cond(p.files != "", rx.text("Files: ", p.files, size="1", color_scheme="gray")),
        spacing="1",
        class_name="code-pattern",
    )


def _analysis() -> rx.Component:
    return section_card(
        "Code patterns",
        rx.hstack(
            rx.button(
                rx.icon("scan-search", size=14), "Analyse code", on_click=S.analyse, variant="soft", id="source-analyse"
            ),
            *(
                rx.button(
                    rx.icon(icon, size=14), label, on_click=S.start_fixes(mode), variant="soft", id=f"source-{mode}"
                )
                for mode, label, icon in (
                    ("autofix", "Auto-fix", "wrench"),
                    ("refactor", "Refactor", "shapes"),
                    ("docs", "Docs", "book-open"),
                )
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            S.patterns.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(S.patterns, _pattern), spacing="3", id="code-patterns"),
            rx.text("None yet: an analysis reads the repository map and names them.", size="2", color_scheme="gray"),
        ),
        description="Architecture, conventions and risks found by a code analysis; searchable, used by enrichment.",
    )


def _viewer() -> rx.Component:
    return rx.cond(
        S.open_path != "",
        section_card(
            S.open_path,
            markdown_view(S.open_html, id="source-viewer"),
            rx.button("Close", variant="soft", on_click=S.close_file, id="source-viewer-close"),
            description="Read-only, at the synced commit.",
        ),
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header(
            "Sources",
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (S.project_name, S.project_link),
                ("Sources", ""),
            ],
            description="The project's git repository: synced in the background, never executed.",
            id="sources-title",
        ),
        page_error(),
        section_card("Repository", _form(), id="source-settings"),
        rx.cond(S.has_source, section_card("Sync", _sync_status(), id="source-sync-card")),
        _viewer(),
        rx.cond(S.commit != "", _analysis()),
        rx.cond(
            S.map_html != "",
            section_card("Repository map", markdown_view(S.map_html, id="source-map"), description=S.map_note),
        ),
        rx.cond(S.has_source, section_card("Files", _files(), description="The first 500, read files first.")),
        spacing="4",
        width="100%",
    )


@signed_in_page(section="projects")
def sources_page() -> rx.Component:
    return rx.cond(
        S.found,
        rx.cond(S.loaded, _content(), rx.spinner()),
        not_found_view("Project not found", "It does not exist, or it is not in your current workspace."),
    )
