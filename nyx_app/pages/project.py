"""Project page: Notes tab (markdown notes) and Settings tab (name, GitHub repository, scan path,
model), under a header that says whether the project is published and links its public page.

The page reads everything it shows in one transaction (``services.views.project_page``)."""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.fields import field, form_error
from nyx_app.components.forms import confirm_delete, published_badge, save_cancel
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.model_picker import ModelOption, ProviderOption, model_options, provider_model_picker
from nyx_app.components.page import not_found_view, page_header, section_card
from nyx_app.components.publish import publish_button
from nyx_app.integrations import markdown
from nyx_app.models.project import Project, ProjectNote
from nyx_app.services import notes, projects, views
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.llm import catalog
from nyx_app.services.permissions import Action, role_may
from nyx_app.settings import get_settings
from nyx_app.state import toasts
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
    public_path: str = ""
    public_address: str = ""

    def _show(self, p: Project) -> None:
        self.pid, self.name, self.description = str(p.id), p.name, p.description
        self.github_url, self.published = p.github_url, p.published
        self.public_path = routes.public_project_url(self.pid)
        self.public_address = get_settings().public_url.rstrip("/") + self.public_path
        self.scan_path = projects.display_scan_path(p.github_path)
        self.llm_model = p.llm_model
        self.model_provider = catalog.split_ref(p.llm_model)[0]

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_publish(self) -> bool:
        return role_may(self.role, Action.PROJECT_PUBLISH)

    async def _reload_notes(self) -> None:
        async def read(s: AsyncSession, c: TenantContext) -> list[NoteView]:
            return _note_views(await notes.list_notes(s, c, self.pid), c)

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

        async def read(s: AsyncSession, c: TenantContext) -> tuple[views.ProjectPageView, list[NoteView]]:
            view = await views.project_page(s, c, requested)
            return view, _note_views(view.notes, c)

        try:
            view, note_views = await self._in_tenant(read)  # the session resolved once, one transaction
        except NotFound:
            # Same answer for a random id and another tenant's id: nothing about it leaks.
            self.found, self.loaded, self.pid, self.notes = False, True, "", []
            return
        self.found = True
        self._show(view.project)
        self.notes = note_views
        self.model_providers, self.model_choices = model_options(view.providers)
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
        self._show(await self._in_tenant(lambda s, c: projects.set_model(s, c, self.pid, ref)))
        return toasts.done(f"This project now uses {ref}")

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
        if project.published:
            return toasts.done("Published. The public page shows the notes marked public.")
        return toasts.done("Unpublished. The public page now answers “not found”.")

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


def _note_views(rows: list[ProjectNote], c: TenantContext) -> list[NoteView]:
    return [NoteView.of(n, c.may(Action.NOTE_DELETE, author_id=n.created_by)) for n in rows]


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
    return section_card(
        "Project settings",
        rx.form(
            rx.vstack(
                field("Name", "name", "settings", default_value=ProjectState.name),
                field("Description", "description", "settings", multiline=True, default_value=ProjectState.description),
                field(
                    "GitHub repository URL",
                    "github_url",
                    "settings",
                    id="settings-github-url",
                    default_value=ProjectState.github_url,
                    placeholder="https://github.com/owner/repo",
                ),
                field(
                    "Scan path",
                    "github_path",
                    "settings",
                    id="settings-scan-path",
                    default_value=ProjectState.scan_path,
                    hint="The folder of the repository to analyse; empty or / means the repository root.",
                ),
                form_error("settings"),
                rx.button("Save settings", type="submit", id="save-settings"),
                width="100%",
                spacing="3",
            ),
            on_submit=ProjectState.save_settings,
            # A new key re-creates the uncontrolled inputs, so saved values (like "/" for the root) show.
            key=ProjectState.scan_path + ProjectState.name,
        ),
        max_width="720px",
    )


def _model_section() -> rx.Component:
    return section_card(
        "Model",
        rx.cond(
            ProjectState.model_providers.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.text(
                    "The model this project's LLM work tries first; the workspace's fallback order follows. Current: ",
                    rx.code(ProjectState.llm_model, id="project-model"),
                    size="2",
                ),
                provider_model_picker(
                    ProjectState.model_providers,
                    ProjectState.model_choices,
                    ProjectState.model_provider,
                    ProjectState.llm_model,
                    ProjectState.pick_model_provider,
                    ProjectState.pick_model,
                    id="project-model-picker",
                ),
                spacing="2",
                width="100%",
            ),
            # Without a provider no model can be called: do not show one as if it were in use.
            rx.callout(
                rx.text(
                    "No LLM provider is set up for this workspace yet, so this project cannot call a model. ",
                    rx.link("Add a key or a local endpoint in Providers", href=routes.PROVIDERS),
                    "; then choose the model here.",
                ),
                icon="info",
                color_scheme="gray",
                size="1",
                id="no-provider",
            ),
        ),
        max_width="720px",
    )


def _publish_control() -> rx.Component:
    toggle = ProjectState.toggle_published
    return rx.cond(
        ProjectState.may_publish,
        publish_button(ProjectState.published, toggle, toggle, size="2", id="toggle-published"),
    )


def _header() -> rx.Component:
    return rx.vstack(
        page_header(
            ProjectState.name,
            _publish_control(),
            crumbs=[("Projects", routes.DASHBOARD), (ProjectState.name, "")],
            badges=[published_badge(ProjectState.published)],
            description=ProjectState.description,
            id="project-title",
        ),
        rx.cond(
            ProjectState.published,
            rx.callout(
                rx.text(
                    "Public page: ",
                    rx.link(ProjectState.public_address, href=ProjectState.public_path, id="public-link"),
                    " — shows the name, the description and the notes marked public.",
                    overflow_wrap="anywhere",
                ),
                icon="globe",
                color_scheme="green",
                size="1",
            ),
        ),
        rx.hstack(
            rx.text("Repository:", size="2", weight="medium"),
            rx.text(
                rx.cond(ProjectState.github_url != "", ProjectState.github_url, "not set"),
                size="2",
                overflow_wrap="anywhere",
            ),
            rx.text("Scan path:", size="2", weight="medium"),
            rx.code(ProjectState.scan_path, id="scan-path-display"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _not_found() -> rx.Component:
    return not_found_view("Project not found", "It does not exist, or it is not in your current workspace.")


@signed_in_page(section="projects")
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
                        rx.tabs.trigger("Settings", value="settings", id="tab-settings"),
                    ),
                    rx.tabs.content(rx.box(_notes_tab(), padding_top="1em"), value="notes"),
                    rx.tabs.content(
                        rx.vstack(_settings_tab(), _model_section(), padding_top="1em", spacing="4", width="100%"),
                        value="settings",
                    ),
                    value=ProjectState.tab,
                    on_change=ProjectState.set_tab,
                    width="100%",
                ),
                width="100%",
                spacing="4",
            ),
            rx.center(rx.spinner(), width="100%", padding="2em"),
        ),
        _not_found(),
    )
