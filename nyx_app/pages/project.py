"""Project page: Notes tab (markdown notes), Workflows and Runs tabs (pages/project_workflows.py,
pages/project_runs.py), and Settings tab (name, GitHub repository, scan path)."""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.forms import confirm_delete, published_badge, save_cancel
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.model_picker import ModelOption, ProviderOption, model_options, provider_model_picker
from nyx_app.integrations import markdown
from nyx_app.models.project import Project, ProjectNote
from nyx_app.pages.project_discussions import discussions_tab
from nyx_app.pages.project_reports import reports_tab
from nyx_app.pages.project_runs import runs_tab
from nyx_app.pages.project_workflows import workflows_tab
from nyx_app.services import notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.llm import catalog, credentials
from nyx_app.services.permissions import Action, role_may
from nyx_app.state.session import AuthState, user_action


@dataclasses.dataclass
class NoteView:
    id: str
    title: str
    content: str  # the Markdown, for the editor
    html: str  # rendered and sanitised on the server: the only form that is shown
    version: int
    url: str
    can_delete: bool

    @classmethod
    def of(cls, n: ProjectNote, can_delete: bool) -> NoteView:
        url = routes.note_url(str(n.project_id), str(n.id))
        return cls(str(n.id), n.title, n.content, markdown.render(n.content), n.version, url, can_delete)


TABS = ("notes", "workflows", "runs", "reports", "settings")


class ProjectState(AuthState):
    found: bool = True
    loaded: bool = False
    pid: str = ""
    name: str = ""
    description: str = ""
    github_url: str = ""
    scan_path: str = "/"
    published: bool = False
    notes: list[NoteView] = []
    editing_note_id: str = ""
    tab: str = "notes"
    llm_model: str = ""
    model_provider: str = ""
    model_providers: list[ProviderOption] = []
    model_choices: list[ModelOption] = []

    def _show(self, p: Project) -> None:
        self.pid, self.name, self.description = str(p.id), p.name, p.description
        self.github_url, self.published = p.github_url, p.published
        self.scan_path = projects.display_scan_path(p.github_path)
        self.llm_model = p.llm_model
        self.model_provider = catalog.split_ref(p.llm_model)[0]

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_publish(self) -> bool:
        return role_may(self.role, Action.PROJECT_PUBLISH)

    async def _reload_notes(self) -> None:
        async def read(s: AsyncSession, c: TenantContext) -> list[NoteView]:
            rows = await notes.list_notes(s, c, self.pid)
            return [NoteView.of(n, c.may(Action.NOTE_DELETE, author_id=n.created_by)) for n in rows]

        self.notes = await self._in_tenant(read)

    @rx.event
    @user_action
    async def load(self):
        requested = self.project_id  # the dynamic route arg Reflex installs for [project_id]
        self.editing_note_id = ""
        if requested != self.pid:
            # Another project: start on Notes. The same one again (a revisit, whose stale view the
            # user may already be clicking in) keeps the tab they chose.
            self.loaded, self.tab = False, "notes"
        if self.router.url.query_parameters.get("tab") in TABS:  # a link to a tab (?tab=runs)
            self.tab = self.router.url.query_parameters["tab"]
        try:
            project = await self._in_tenant(lambda s, c: projects.get_project(s, c, requested))
        except NotFound:
            # Same answer for a random id and another tenant's id: nothing about it leaks.
            self.found, self.loaded, self.pid, self.notes = False, True, "", []
            return
        self.found = True
        self._show(project)
        await self._reload_notes()
        self.model_providers, self.model_choices = model_options(await self._in_tenant(credentials.list_providers))
        self.loaded = True

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    @rx.event
    @user_action
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
        return rx.toast.success("Settings saved")

    async def _set_model(self, ref: str):
        self._show(await self._in_tenant(lambda s, c: projects.set_model(s, c, self.pid, ref)))
        return rx.toast.success(f"This project now uses {ref}")

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
    async def toggle_published(self):
        project = await self._in_tenant(
            lambda s, c: projects.update_project(s, c, self.pid, published=not self.published)
        )
        self._show(project)

    @rx.event
    @user_action
    async def create_note(self, form: dict[str, str]):
        await self._in_tenant(
            lambda s, c: notes.create_note(s, c, self.pid, form.get("title", ""), form.get("content", ""))
        )
        await self._reload_notes()

    @rx.event
    def edit_note(self, note_id: str):
        self.editing_note_id = note_id

    @rx.event
    def cancel_edit(self):
        self.editing_note_id = ""
        self.error = ""

    @rx.event
    @user_action
    async def save_note(self, form: dict[str, str]):
        note_id = self.editing_note_id
        await self._in_tenant(
            lambda s, c: notes.save_note(
                s,
                c,
                note_id,
                title=form.get("title", ""),
                content=form.get("content", ""),
                base_version=int(form.get("version") or 0),
            )
        )
        self.editing_note_id = ""
        await self._reload_notes()

    @rx.event
    @user_action
    async def delete_note(self, note_id: str):
        await self._in_tenant(lambda s, c: notes.delete_note(s, c, note_id))
        await self._reload_notes()
        return rx.toast.success("Note deleted")


def _note_editor(n: NoteView) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.input(name="title", default_value=n.title, id="edit-note-title", width="100%"),
            rx.text_area(name="content", default_value=n.content, id="edit-note-content", rows="12", width="100%"),
            rx.el.input(type="hidden", name="version", value=n.version.to_string()),
            save_cancel("Save note", "save-note", ProjectState.cancel_edit),
            width="100%",
        ),
        on_submit=ProjectState.save_note,
        width="100%",
    )


def _note_view(n: NoteView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(rx.heading(n.title, size="4"), href=n.url, class_name="note-title"),
            rx.spacer(),
            rx.button("Edit", size="1", variant="soft", on_click=ProjectState.edit_note(n.id), class_name="edit-note"),
            rx.cond(
                n.can_delete,
                confirm_delete(
                    "Delete note?",
                    "The note and its images are deleted. This cannot be undone.",
                    ProjectState.delete_note(n.id),
                    trigger_class="delete-note",
                    confirm_class="confirm-delete-note",
                ),
            ),
            width="100%",
            align="center",
        ),
        markdown_view(n.html, class_name="note-body"),
        width="100%",
    )


def _note_card(n: NoteView) -> rx.Component:
    return rx.card(
        rx.cond(ProjectState.editing_note_id == n.id, _note_editor(n), _note_view(n)),
        width="100%",
        class_name="note-card",
    )


def _notes_tab() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.vstack(
                rx.input(name="title", placeholder="Note title", id="new-note-title", width="100%"),
                rx.text_area(name="content", placeholder="Markdown…", id="new-note-content", rows="6", width="100%"),
                rx.button(rx.icon("plus", size=16), "Add note", type="submit", id="add-note"),
                width="100%",
            ),
            on_submit=ProjectState.create_note,
            reset_on_submit=True,
            width="100%",
        ),
        rx.cond(
            ProjectState.notes.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(ProjectState.notes, _note_card), width="100%", spacing="3"),
            rx.text("No notes yet.", color_scheme="gray"),
        ),
        width="100%",
        spacing="4",
    )


def _settings_tab() -> rx.Component:
    def field(label: str, control: rx.Component, hint: str = "") -> rx.Component:
        return rx.vstack(
            rx.text(label, size="2", weight="medium"),
            control,
            rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
            width="100%",
            spacing="1",
        )

    return rx.form(
        rx.vstack(
            field("Name", rx.input(name="name", default_value=ProjectState.name, id="settings-name", width="100%")),
            field(
                "Description",
                rx.text_area(
                    name="description", default_value=ProjectState.description, id="settings-description", width="100%"
                ),
            ),
            field(
                "GitHub repository URL",
                rx.input(
                    name="github_url",
                    default_value=ProjectState.github_url,
                    placeholder="https://github.com/owner/repo",
                    id="settings-github-url",
                    width="100%",
                ),
            ),
            field(
                "Scan path",
                rx.input(
                    name="github_path", default_value=ProjectState.scan_path, id="settings-scan-path", width="100%"
                ),
                "The folder of the repository to analyse; empty or / means the repository root.",
            ),
            rx.button("Save settings", type="submit", id="save-settings"),
            width="100%",
            max_width="640px",
            spacing="3",
        ),
        on_submit=ProjectState.save_settings,
        # A new key re-creates the uncontrolled inputs, so saved values (like "/" for the root) show.
        key=ProjectState.scan_path + ProjectState.name,
    )


def _model_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Model", size="4"),
        rx.text(
            "The model this project's LLM work tries first; the workspace's fallback chain follows. ",
            "Current: ",
            rx.code(ProjectState.llm_model, id="project-model"),
            size="2",
        ),
        rx.cond(
            ProjectState.model_providers.length() > 0,  # type: ignore[attr-defined]
            provider_model_picker(
                ProjectState.model_providers,
                ProjectState.model_choices,
                ProjectState.model_provider,
                ProjectState.llm_model,
                ProjectState.pick_model_provider,
                ProjectState.pick_model,
                id="project-model-picker",
            ),
            rx.text(
                "No provider is set up for this workspace yet: ",
                rx.link("add a key in Providers", href=routes.PROVIDERS),
                ".",
                size="2",
                color_scheme="gray",
            ),
        ),
        spacing="2",
        padding_top="1.5em",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(ProjectState.name, size="7", id="project-title"),
            published_badge(ProjectState.published),
            rx.cond(
                ProjectState.may_publish,
                rx.button(
                    rx.cond(ProjectState.published, "Unpublish", "Publish"),
                    size="1",
                    variant="soft",
                    on_click=ProjectState.toggle_published,
                    id="toggle-published",
                ),
            ),
            align="center",
        ),
        rx.text(ProjectState.description, color_scheme="gray"),
        rx.hstack(
            rx.text("Repository:", size="2", weight="medium"),
            rx.text(rx.cond(ProjectState.github_url != "", ProjectState.github_url, "not set"), size="2"),
            rx.text("Scan path:", size="2", weight="medium"),
            rx.code(ProjectState.scan_path, id="scan-path-display"),
            spacing="2",
            align="center",
        ),
        spacing="2",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.heading("Project not found", size="6", id="not-found"),
        rx.text("It does not exist, or it is not in your current workspace."),
        rx.link("Back to projects", href=routes.DASHBOARD),
    )


@signed_in_page
def project_page() -> rx.Component:
    return rx.cond(
        ProjectState.found,
        rx.cond(
            ProjectState.loaded,
            rx.vstack(
                _header(),
                error_callout(ProjectState.error),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("Notes", value="notes", id="tab-notes"),
                        rx.tabs.trigger("Workflows", value="workflows", id="tab-workflows"),
                        rx.tabs.trigger("Runs", value="runs", id="tab-runs"),
                        rx.tabs.trigger("Discussions", value="discussions", id="tab-discussions"),
                        rx.tabs.trigger("Reports", value="reports", id="tab-reports"),
                        rx.tabs.trigger("Settings", value="settings", id="tab-settings"),
                    ),
                    rx.tabs.content(rx.box(_notes_tab(), padding_top="1em"), value="notes"),
                    rx.tabs.content(rx.box(workflows_tab(), padding_top="1em"), value="workflows"),
                    rx.tabs.content(rx.box(runs_tab(), padding_top="1em"), value="runs"),
                    rx.tabs.content(rx.box(discussions_tab(ProjectState.pid), padding_top="1em"), value="discussions"),
                    rx.tabs.content(rx.box(reports_tab(), padding_top="1em"), value="reports"),
                    rx.tabs.content(rx.box(_settings_tab(), _model_section(), padding_top="1em"), value="settings"),
                    value=ProjectState.tab,
                    on_change=ProjectState.set_tab,
                    width="100%",
                ),
                width="100%",
                spacing="4",
            ),
            rx.spinner(),
        ),
        _not_found(),
    )
