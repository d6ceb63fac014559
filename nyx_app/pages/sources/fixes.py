"""An auto-fix (or refactor) run's page: watch it live, select the issues it found while it waits,
then read each fix as a highlighted diff (the one Markdown renderer: nothing in a diff is HTML),
download every fix as one ``.patch``, push it as a branch and open a pull request."""

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
from nyx_app.services.code import fixes, publish, sources
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

SAFETY_POLL_S = 10.0
ACTIVE = ("pending", "running")
PUSH_FORM = "fix-push"


@dataclasses.dataclass
class IssueItem:
    id: str
    title: str
    where: str
    severity: str
    category: str
    explanation: str


@dataclasses.dataclass
class FixItem:
    title: str
    where: str
    rationale: str
    error: str
    diff_html: str


def _where(item: dict[str, object]) -> str:
    return f"{item.get('file', '')}:{item.get('start_line', '')}-{item.get('end_line', '')}"


class FixesState(AuthState):
    found: bool = True
    loaded: bool = False
    name: str = ""
    noun: str = "issue"
    status: str = ""
    run_error: str = ""
    commit: str = ""
    waiting: bool = False
    issues: list[IssueItem] = []
    items: list[FixItem] = []
    has_patch: bool = False
    branch: str = ""
    pull_request: str = ""
    run_link: str = ""
    sources_link: str = ""
    _pid: str = ""
    _rid: str = ""
    _gen: int = 0

    def _show(self, view: fixes.FixView) -> None:
        self.found, self.loaded = True, True
        self.name, self.noun, self.status, self.run_error = view.name, view.noun, view.status, view.error
        self.commit, self.waiting = view.commit[:12], view.waiting
        self.run_link, self.sources_link = routes.run_url(self._pid, self._rid), routes.sources_url(self._pid)
        self.issues = [
            IssueItem(str(i["id"]), str(i.get("title", "")), _where(i), str(i.get("severity", "")),
                      str(i.get("category", "")), str(i.get("explanation", "")))
            for i in view.issues
        ]  # fmt: skip
        self.items = [
            FixItem(
                str(i.get("title", "")), _where(i), str(i.get("rationale", "")), str(i.get("error", "")),
                markdown.render(sources.as_markdown(str(i["patch"]), "diff")) if i.get("patch") else "",
            )
            for i in view.items
        ]  # fmt: skip
        self.has_patch = bool(view.patch)
        self.branch = str(view.pushed.get("branch") or "")
        self.pull_request = str(view.pushed.get("pull_request") or "")

    @rx.event
    @user_action
    async def load(self):
        self._pid, self._rid = self.project_id, self.run_id  # type: ignore[attr-defined]
        self.loaded = False
        try:
            self._show(await self._read_page(lambda s, c: fixes.view(s, c, self._rid)))
        except NotFound:
            self.found, self.loaded = False, True
            return None
        return self._watching()

    def _watching(self) -> rx.event.EventSpec | None:
        self._gen += 1
        return FixesState.watch if self.status in ACTIVE else None  # type: ignore[return-value]

    @rx.event(background=True)
    async def watch(self):
        async with self:
            gen, token, run_id = self._gen, self._session_token(), self._rid
        async with hub().watch(RUNS_CHANNEL, run_id) as changed, sessions().watching():
            while True:
                changed.clear()
                ident = await sessions().resolve(token)
                if ident is None:
                    return
                ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
                view: fixes.FixView | None
                try:
                    async with transaction(ctx.tenant_id, ctx.user_id) as session:
                        view = await fixes.view(session, ctx, run_id)
                except Exception:  # gone, or the database away for a moment: the next round tries
                    view = None
                async with self:
                    if self._gen != gen:
                        return
                    if view is not None:
                        self._show(view)
                    if self.status not in ACTIVE:
                        return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=SAFETY_POLL_S)

    @rx.event
    @user_action
    async def select(self, form: dict[str, str]):
        rid = self._rid
        try:
            ids = [int(key.removeprefix("issue-")) for key, on in form.items() if key.startswith("issue-") and on]
        except ValueError:
            raise NotFound(f"That {self.noun} is not one this run found.") from None

        async def work(s: AsyncSession, c: TenantContext) -> fixes.FixView:
            await fixes.select_issues(s, c, rid, ids)
            return await fixes.view(s, c, rid)

        self._show(await self._in_tenant(work))
        return [toasts.done(f"Writing the fixes of {len(ids)} {self.noun}(s)."), self._watching()]

    @rx.event
    @user_action
    async def download(self):
        rid = self._rid
        view = await self._in_tenant(lambda s, c: fixes.view(s, c, rid))
        patch = fixes.combined_patch(view)
        if not patch:
            raise InvalidInput("This run has no patch to download.")
        return rx.download(data=patch, filename=f"nyx-{view.kind}-{view.commit[:12]}.patch", mime_type="text/x-diff")

    @rx.event
    @user_action(form=PUSH_FORM)
    async def push(self, form: dict[str, str]):
        rid, branch = self._rid, form.get("branch", "")

        async def work(s: AsyncSession, c: TenantContext) -> fixes.FixView:
            await publish.push_branch(s, c, rid, branch)
            return await fixes.view(s, c, rid)

        self._show(await self._in_tenant(work))
        return toasts.done(f"Pushed branch {self.branch}.")

    @rx.event
    @user_action
    async def pull(self):
        rid = self._rid

        async def work(s: AsyncSession, c: TenantContext) -> fixes.FixView:
            await publish.open_pull_request(s, c, rid, "")
            return await fixes.view(s, c, rid)

        self._show(await self._in_tenant(work))
        return toasts.done("The pull request is open.")


S = FixesState


def _issue(i: IssueItem) -> rx.Component:
    return rx.hstack(
        rx.checkbox(name="issue-" + i.id, default_checked=True, id="issue-" + i.id, class_name="fix-issue-check"),
        rx.vstack(
            rx.hstack(
                rx.badge(i.severity, size="1"),
                rx.badge(i.category, size="1", color_scheme="gray"),
                rx.text(i.title, weight="bold", size="2"),
                rx.code(i.where, size="1"),
                spacing="2",
                wrap="wrap",
            ),
            rx.text(i.explanation, size="2"),  # text, never HTML
            spacing="1",
        ),
        spacing="3",
        align="start",
        class_name="fix-issue",
    )


def _selection() -> rx.Component:
    return section_card(
        "Select what to fix",
        rx.form(
            rx.vstack(
                rx.foreach(S.issues, _issue),
                rx.button(rx.icon("wand-sparkles", size=14), "Write the fixes", type="submit", id="fix-select"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.select,
            id="fix-select-form",
        ),
        description="Each selected item gets a patch checked with git against the synced commit.",
    )


def _fix(f: FixItem) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(f.title, weight="bold", size="2"), rx.code(f.where, size="1"), spacing="2"),
        rx.cond(f.rationale != "", rx.text(f.rationale, size="2")),
        rx.cond(
            f.diff_html != "",
            markdown_view(f.diff_html, class_name="fix-diff"),
            rx.callout(f.error, icon="triangle-alert", color_scheme="orange", size="1", class_name="fix-error"),
        ),
        spacing="2",
        width="100%",
        class_name="fix-item",
    )


def _publish() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button(rx.icon("download", size=14), "Download the patch", on_click=S.download, id="fix-download"),
            rx.cond(
                S.branch != "",
                rx.button("Open a pull request", on_click=S.pull, variant="soft", id="fix-pull"),
            ),
            rx.cond(S.pull_request != "", rx.link("The pull request", href=S.pull_request, id="fix-pull-link")),
            spacing="3",
            wrap="wrap",
        ),
        rx.form(
            rx.hstack(
                field("Branch", "branch", PUSH_FORM, placeholder="nyx/autofix-1", default_value=S.branch),
                rx.button("Push the branch", type="submit", variant="soft", id="fix-push"),
                align="end",
                spacing="3",
            ),
            form_error(PUSH_FORM),
            on_submit=S.push,
            reset_on_submit=False,
            id="fix-push-form",
        ),
        spacing="3",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header(
            S.name,
            crumbs=[("Projects", routes.DASHBOARD), ("Sources", S.sources_link), (S.name, "")],
            description="Found in the synced code, fixed as patches that git applies; nothing of it is executed.",
            id="fix-title",
        ),
        page_error(),
        rx.hstack(
            rx.badge(S.status, id="fix-status"),
            rx.text("at ", S.commit, size="2"),
            rx.link("Progress and costs of every step", href=S.run_link, size="2", id="fix-run-link"),
            spacing="3",
            align="center",
        ),
        rx.cond(S.run_error != "", rx.callout(S.run_error, icon="triangle-alert", color_scheme="red", size="1")),
        rx.cond(S.waiting, _selection()),
        rx.cond(
            S.items.length() > 0,  # type: ignore[attr-defined]
            section_card(
                "Fixes",
                rx.cond(S.has_patch, _publish()),
                rx.vstack(rx.foreach(S.items, _fix), spacing="4", width="100%", id="fix-items"),
            ),
        ),
        spacing="4",
        width="100%",
    )


@signed_in_page(section="projects")
def fixes_page() -> rx.Component:
    return rx.cond(
        S.found,
        rx.cond(S.loaded, _content(), rx.spinner()),
        not_found_view("Run not found", "It does not exist, or it is not in your current workspace."),
    )
