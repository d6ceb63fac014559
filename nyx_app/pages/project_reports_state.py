"""State of the project page's Reports tab (``project_reports.py`` draws it), and of the "Make a
report" button on a finished run's page.

The tab reads everything it shows in one transaction. While something is in progress (a report
being written, a PDF being made) a background watcher re-reads on each change the database
announces; it ends by itself when nothing is in progress any more (or after ``WATCH_FOR``), and a
newer one replaces it (``supersedes``), so none outlives its purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.start_blockers import BlockerRow, blocker_rows
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live.hub import hub
from nyx_app.models.report import ReportKind
from nyx_app.pages.report_rows import (
    KindOption,
    ReportRow,
    RunChoice,
    WritingRow,
    default_period,
    finished_runs,
    kind_options,
    report_row,
    writing_row,
)
from nyx_app.services import auth, trash
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import ServiceError
from nyx_app.services.projects import get_project
from nyx_app.services.reports import built, store, writers
from nyx_app.services.reports.store import reports_key
from nyx_app.services.runs import readiness, views
from nyx_app.state.session import AuthState, user_action
from nyx_app.state.trash import moved

MODEL_WRITTEN = (ReportKind.SUMMARY.value, ReportKind.DEVLOG.value)
WATCH_FOR_S = 15 * 60
POLL_WRITING_S = 2.0  # a run's failure is announced on its own key: look at least this often
POLL_IDLE_S = 10.0


@dataclasses.dataclass
class TabData:
    rows: list[ReportRow]
    writing: list[WritingRow]
    runs: list[RunChoice]
    # Why a report the model writes cannot start now (each with its fix); empty: it can.
    model_blockers: list[BlockerRow]


async def read_tab(s: AsyncSession, c: TenantContext, project_id: str) -> TabData:
    project = await get_project(s, c, project_id)
    pid = str(project.id)
    return TabData(
        [report_row(r, pid) for r in await store.list_reports(s, c, project.id)],
        [writing_row(w, pid) for w in await writers.writing_runs(s, c, project.id)],
        finished_runs(await views.run_history(s, c, project.id)),
        blocker_rows(await readiness.project_readiness(s, c, project), pid),
    )


async def _read_for_watcher(token: str, project_id: str) -> TabData | None:
    try:
        ident = await auth.resolve(token)
        if ident is None:
            return None
        ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
        async with transaction(ctx.tenant_id, ctx.user_id) as session:
            return await read_tab(session, ctx, project_id)
    except ServiceError:
        return None


class ReportsTabState(AuthState):
    loaded: bool = False
    rows: list[ReportRow] = []
    writing: list[WritingRow] = []
    runs: list[RunChoice] = []
    kinds: list[KindOption] = kind_options()
    kind: str = ReportKind.OVERVIEW.value
    run_choice: str = ""
    since: str = ""
    until: str = ""
    generating: bool = False
    model_blockers: list[BlockerRow] = []
    renaming: str = ""  # the report whose title is being edited
    _project_id: str = ""

    @rx.var
    def kind_about(self) -> str:
        return next((k.about for k in self.kinds if k.value == self.kind), "")

    @rx.var
    def kind_blockers(self) -> list[BlockerRow]:
        """What stands in the way of the chosen kind: only the kinds a model writes need one."""
        return self.model_blockers if self.kind in MODEL_WRITTEN else []

    @rx.var
    def in_progress(self) -> bool:
        return any(w.active or w.unsaved for w in self.writing) or any(
            not r.pdf_ready and not r.may_retry_pdf for r in self.rows
        )

    def _apply(self, data: TabData) -> None:
        if data.rows != self.rows:
            self.rows = data.rows
        if data.writing != self.writing:
            self.writing = data.writing
        if data.runs != self.runs:
            self.runs = data.runs
        if data.model_blockers != self.model_blockers:
            self.model_blockers = data.model_blockers
        if self.run_choice not in {r.id for r in data.runs}:
            self.run_choice = data.runs[0].id if data.runs else ""
        self.loaded = True

    async def _reload(self) -> None:
        project_id = self._project_id
        self._apply(await self._in_tenant(lambda s, c: read_tab(s, c, project_id)))

    @rx.event
    @user_action
    async def load(self):
        """On opening the tab (Radix mounts a tab's content only while it is shown)."""
        project_id = self.project_id  # type: ignore[attr-defined]  # route arg, looked up under RLS
        if project_id != self._project_id:
            self.loaded, self.renaming = False, ""
            self.since, self.until = default_period()
        self._project_id = project_id
        await self._reload()
        return ReportsTabState.watch if self.in_progress else None

    @rx.event(background=True, supersedes=True)
    async def watch(self):
        async with self:
            project_id, token = self._project_id, self._session_token()
        deadline = time.monotonic() + WATCH_FOR_S
        async with hub().watch(RUNS_CHANNEL, reports_key(project_id)) as changed:
            while time.monotonic() < deadline:
                async with self:
                    if not self.in_progress or self._project_id != project_id:
                        return
                    writing = any(w.active for w in self.writing)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), POLL_WRITING_S if writing else POLL_IDLE_S)
                changed.clear()  # before reading: a change landing meanwhile wakes the next round
                data = await _read_for_watcher(token, project_id)  # outside the state lock
                if data is None:  # signed out, or the project is gone: stop watching
                    return
                async with self:
                    if self._project_id != project_id:
                        return
                    self._apply(data)

    @rx.event
    def set_kind(self, kind: str):
        self.kind, self.error = kind, ""

    @rx.event
    def set_run_choice(self, run_id: str):
        self.run_choice = run_id

    @rx.event
    def set_since(self, value: str):
        self.since = value

    @rx.event
    def set_until(self, value: str):
        self.until = value

    @rx.event
    @user_action
    async def generate(self):
        project_id, kind, run_id, since, until = self._project_id, self.kind, self.run_choice, self.since, self.until
        self.generating = True
        try:
            if kind in (ReportKind.OVERVIEW, ReportKind.RUN):
                report = await self._in_tenant(
                    lambda s, c: (
                        built.make_overview(s, c, project_id)
                        if kind == ReportKind.OVERVIEW
                        else built.make_run_report(s, c, run_id, project_id)
                    )
                )
                return rx.redirect(routes.report_url(project_id, str(report.id)))
            await self._in_tenant(
                lambda s, c: (
                    writers.start_summary(s, c, project_id)
                    if kind == ReportKind.SUMMARY
                    else writers.start_devlog(s, c, project_id, since, until)
                )
            )
            await self._reload()
            return [ReportsTabState.watch, rx.toast.info("The report is being written; follow it live from its run.")]
        finally:
            self.generating = False

    @rx.event
    @user_action
    async def save_unsaved(self, run_id: str):
        await self._in_tenant(lambda s, c: writers.save_by_hand(s, c, run_id))
        await self._reload()

    @rx.event
    def start_rename(self, report_id: str):
        self.renaming = report_id

    @rx.event
    def cancel_rename(self):
        self.renaming, self.error = "", ""

    @rx.event
    @user_action(form="rename-report")  # its refusal shows in the row's form, under the title
    async def rename(self, form: dict[str, str]):
        report_id = self.renaming
        await self._in_tenant(lambda s, c: store.rename_report(s, c, report_id, form.get("title", "")))
        self.renaming = ""
        await self._reload()
        return ReportsTabState.watch

    @rx.event
    @user_action
    async def render_again(self, report_id: str):
        await self._in_tenant(lambda s, c: store.render_again(s, c, report_id))
        await self._reload()
        return ReportsTabState.watch

    @rx.event
    @user_action
    async def delete(self, report_id: str):
        binned = await self._in_tenant(lambda s, c: trash.trash_report(s, c, report_id))
        await self._reload()
        return moved(binned)


class RunReportState(AuthState):
    """The "Make a report" button of a finished run's page."""

    making: bool = False

    @rx.event
    @user_action
    async def make(self):
        run_id, project_id = self.run_id, self.project_id  # type: ignore[attr-defined]  # route args
        self.making = True
        try:
            report = await self._in_tenant(lambda s, c: built.make_run_report(s, c, run_id, project_id))
        finally:
            self.making = False
        return rx.redirect(routes.report_url(project_id, str(report.id)))
