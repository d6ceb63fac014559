"""Project page: its state (one transaction per load). The frame, header and Settings tab are in
pages/project_view.py; each other tab lives in its own module: Notes (pages/project_notes.py),
Workflows (pages/project_workflows.py), Runs (pages/project_runs.py), Discussions
(pages/project_discussions.py).
"""

from __future__ import annotations

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.model_picker import ModelOption, ProviderOption, model_options
from nyx_app.models.llm import ProviderPublic
from nyx_app.models.project import Project
from nyx_app.pages.project_notes import ProjectNotesState
from nyx_app.services import note_pages, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.llm import catalog, choice, credentials
from nyx_app.services.note_pages import ProjectPage
from nyx_app.services.permissions import Action, role_may
from nyx_app.settings import get_settings
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

TABS = ("notes", "workflows", "runs", "discussions", "reports", "settings")


class ProjectState(AuthState):
    found: bool = True
    loaded: bool = False
    pid: str = ""
    name: str = ""
    description: str = ""
    github_url: str = ""
    scan_path: str = "/"
    published: bool = False
    tab: str = "notes"
    llm_model: str = ""  # the model the project's work uses (its own, or the automatic one)
    model_automatic: bool = False  # no model chosen: the workspace's first reachable model
    model_provider: str = ""
    model_providers: list[ProviderOption] = []
    model_choices: list[ModelOption] = []
    public_path: str = ""
    public_address: str = ""

    def _show(self, p: Project) -> None:
        self.pid, self.name, self.description = str(p.id), p.name, p.description
        self.github_url, self.published = p.github_url, p.published
        self.public_path = routes.public_project_url(self.pid)
        self.public_address = get_settings().public_url.rstrip("/") + self.public_path
        self.scan_path = projects.display_scan_path(p.github_path)

    def _show_model(self, model: choice.ModelChoice) -> None:
        self.llm_model, self.model_automatic = model.ref, model.automatic
        self.model_provider = catalog.split_ref(model.ref)[0]

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_publish(self) -> bool:
        return role_may(self.role, Action.PROJECT_PUBLISH)

    @rx.event
    @user_action
    async def load(self):
        """The session resolved once; the project, its first page of notes and the providers for
        the model picker read in one transaction (services/note_pages.py)."""
        requested = self.project_id  # the dynamic route arg Reflex installs for [project_id]
        if requested != self.pid:
            # Another project: start on Notes. The same one again (a revisit, whose stale view the
            # user may already be clicking in) keeps the tab they chose.
            self.loaded, self.tab = False, "notes"
        if self.router.url.query_parameters.get("tab") in TABS:  # a link to a tab (?tab=runs)
            self.tab = self.router.url.query_parameters["tab"]
        notes_state = await self.get_state(ProjectNotesState)
        query = notes_state.first_page_query(requested)

        async def read(
            s: AsyncSession, c: TenantContext
        ) -> tuple[ProjectPage, list[ProviderPublic], choice.ModelChoice]:
            page = await note_pages.project_page(s, c, requested, query)
            return page, await credentials.list_providers(s, c), await choice.project_model(s, page.project)

        try:
            page, providers, model = await self._read_page(read)
        except NotFound:
            # Same answer for a random id and another tenant's id: nothing about it leaks.
            self.found, self.loaded, self.pid = False, True, ""
            notes_state.cards = []
            return
        self.found = True
        self._show(page.project)
        self._show_model(model)
        notes_state.show(self.pid, page.notes)
        self.model_providers, self.model_choices = model_options(providers)
        self.loaded = True

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    @rx.event
    @user_action(form="settings")
    async def save_settings(self, form: dict[str, str]):
        project = await self._in_tenant(
            lambda s, c: projects.update_project(
                s,
                c,
                self.pid,
                name=form.get("name", ""),
                description=form.get("description", ""),
                github_url=form.get("github_url", ""),
                github_path=form.get("github_path", ""),
            )
        )
        self._show(project)
        return toasts.done("Settings saved")

    async def _set_model(self, ref: str):
        async def work(s: AsyncSession, c: TenantContext) -> tuple[Project, choice.ModelChoice]:
            project = await projects.set_model(s, c, self.pid, ref)
            return project, await choice.project_model(s, project)

        project, model = await self._in_tenant(work)
        self._show(project)
        self._show_model(model)
        return toasts.done(f"This project now uses {model.label}")

    @rx.event
    @user_action
    async def pick_model_provider(self, provider: str):
        """Choosing a provider selects its default model (claude-sonnet-4-6, gpt-4.1-mini, ...)."""
        return await self._set_model(projects.default_model_of(provider, [m.ref for m in self.model_choices]))

    @rx.event
    @user_action
    async def pick_model(self, ref: str):
        return await self._set_model(ref)

    @rx.event
    @user_action
    async def use_automatic_model(self):
        return await self._set_model("")

    @rx.event
    @user_action
    async def toggle_published(self):
        project = await self._in_tenant(
            lambda s, c: projects.update_project(s, c, self.pid, published=not self.published)
        )
        self._show(project)
        if project.published:
            return toasts.done("Published. The public page shows the notes marked public.")
        return toasts.done("Unpublished. The public page now answers “not found”.")
