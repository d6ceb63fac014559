"""Project page: its state (one transaction per load, ``services.views.project_page``) and the
Notes tab (markdown notes). The frame, header and Settings tab are in pages/project_view.py."""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.forms import confirm_delete, save_cancel
from nyx_app.components.markdown import markdown_view
from nyx_app.components.model_picker import ModelOption, ProviderOption, model_options
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


def notes_tab() -> rx.Component:
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
