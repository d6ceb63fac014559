"""Dashboard: the tenant's projects — list, create, rename, describe, delete, publish — and, for
a newcomer, what the product is for and a sample project made in one click."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error, page_error
from nyx_app.components.forms import published_badge, save_cancel
from nyx_app.components.layout import signed_in_page
from nyx_app.components.page import empty_state, page_header, section_card
from nyx_app.components.publish import publish_button
from nyx_app.services import projects, samples, views
from nyx_app.services.permissions import Action, role_may
from nyx_app.services.views import ProjectSummary
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action


@dataclasses.dataclass
class ProjectCard:
    id: str
    name: str
    description: str
    published: bool
    url: str
    public_url: str
    notes_label: str

    @classmethod
    def of(cls, summary: ProjectSummary) -> ProjectCard:
        p = summary.project
        notes = f"{summary.notes} note{'s' if summary.notes != 1 else ''}"
        if summary.public_notes:
            notes += f" · {summary.public_notes} public"
        pid = str(p.id)
        return cls(
            pid, p.name, p.description, p.published, routes.project_url(pid), routes.public_project_url(pid), notes
        )


def created_message(model: str) -> str:
    """Says which model the new project uses (the workspace's first reachable one), or what is missing."""
    if model:
        return f"Project created. It uses {model}, the workspace's first model (change it in its Settings)."
    return "Project created. Add a provider in Providers before starting a workflow."


class DashboardState(AuthState):
    projects: list[ProjectCard] = []
    loaded: bool = False
    editing_id: str = ""
    # Bumped after a successful create: the form is keyed by it, so React remounts it empty in the
    # same update that shows the result (clearing inputs afterwards could wipe new typing).
    created: int = 0

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_delete(self) -> bool:
        return role_may(self.role, Action.PROJECT_DELETE)

    @rx.var
    def may_publish(self) -> bool:
        return role_may(self.role, Action.PROJECT_PUBLISH)

    async def _reload(self) -> None:
        view = await self._in_tenant(views.dashboard)
        self.projects = [ProjectCard.of(p) for p in view.projects]
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        self.editing_id = ""
        await self._reload()

    @rx.event
    @user_action(form="new-project")
    async def create(self, form: dict[str, str]):
        name, description = form.get("name", ""), form.get("description", "")
        project = await self._in_tenant(lambda s, c: projects.create_project(s, c, name, description))
        await self._reload()
        self.created += 1
        return toasts.done(created_message(project.llm_model))

    @rx.event
    @user_action
    async def create_sample(self):
        project = await self._in_tenant(samples.create_sample_project)
        return [
            toasts.done("Sample project created: have a look around."),
            rx.redirect(routes.project_url(str(project.id))),
        ]

    @rx.event
    def start_edit(self, project_id: str):
        self.editing_id, self.field_errors = project_id, {}

    @rx.event
    def cancel_edit(self):
        self.editing_id, self.field_errors, self.error = "", {}, ""

    @rx.event
    @user_action(form="edit-project")
    async def save_edit(self, form: dict[str, str]):
        pid, name, description = self.editing_id, form.get("name", ""), form.get("description", "")
        await self._in_tenant(lambda s, c: projects.update_project(s, c, pid, name=name, description=description))
        self.editing_id = ""
        await self._reload()
        return toasts.done("Project saved")

    @rx.event
    @user_action
    async def set_published(self, project_id: str, published: bool):
        await self._in_tenant(lambda s, c: projects.update_project(s, c, project_id, published=published))
        await self._reload()
        if published:
            return toasts.done("Published. Its public page shows the notes marked public.")
        return toasts.done("Unpublished. Its public page now answers “not found”.")

    @rx.event
    @user_action
    async def delete(self, project_id: str):
        await self._in_tenant(lambda s, c: projects.delete_project(s, c, project_id))
        await self._reload()
        return toasts.done("Project deleted")


def _create_form() -> rx.Component:
    return rx.form(
        rx.box(
            field("Name", "name", "new-project", placeholder="e.g. Checkout redesign", data_shortcut="create"),
            field("Description", "description", "new-project", placeholder="Optional: what is it about?"),
            rx.box(
                rx.button(rx.icon("plus", size=16), "Create project", type="submit", id="create-project"),
                class_name="nyx-row-fixed",
            ),
            class_name="nyx-row",
        ),
        form_error("new-project"),
        on_submit=DashboardState.create,
        key=DashboardState.created,
        width="100%",
    )


def _edit_form(p: ProjectCard) -> rx.Component:
    return rx.form(
        rx.vstack(
            field("Name", "name", "edit-project", default_value=p.name),
            field("Description", "description", "edit-project", multiline=True, default_value=p.description),
            form_error("edit-project"),
            save_cancel("Save", "save-project", DashboardState.cancel_edit),
            width="100%",
        ),
        on_submit=DashboardState.save_edit,
        width="100%",
    )


def _card_view(p: ProjectCard) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(rx.heading(p.name, size="4", overflow_wrap="anywhere"), href=p.url, class_name="project-link"),
            published_badge(p.published),
            align="center",
            wrap="wrap",
        ),
        rx.text(rx.cond(p.description != "", p.description, "No description"), size="2", color_scheme="gray"),
        rx.hstack(
            rx.text(p.notes_label, size="1", color_scheme="gray"),
            rx.cond(
                p.published,
                rx.link(
                    rx.hstack(rx.icon("globe", size=12), rx.text("Public page", size="1"), spacing="1", align="center"),
                    href=p.public_url,
                    class_name="public-link",
                ),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.hstack(
            rx.link(rx.button("Open", size="1", variant="soft"), href=p.url),
            rx.button("Rename / describe", size="1", variant="soft", on_click=DashboardState.start_edit(p.id)),
            rx.cond(
                DashboardState.may_publish,
                publish_button(
                    p.published, DashboardState.set_published(p.id, True), DashboardState.set_published(p.id, False)
                ),
            ),
            rx.cond(
                DashboardState.may_delete,
                confirm_dialog(
                    "Delete project?",
                    "Its notes and images are deleted too. This cannot be undone.",
                    DashboardState.delete(p.id),
                    trigger_class="delete-project",
                    confirm_class="confirm-delete-project",
                ),
            ),
            wrap="wrap",
            spacing="2",
        ),
        spacing="2",
        width="100%",
    )


def _project_card(p: ProjectCard) -> rx.Component:
    return rx.card(
        rx.cond(DashboardState.editing_id == p.id, _edit_form(p), _card_view(p)),
        width="100%",
        class_name="project-card",
    )


def _welcome() -> rx.Component:
    def part(icon: str, title: str, text: str) -> rx.Component:
        return rx.hstack(
            rx.icon(icon, size=20, color="var(--accent-11)", flex_shrink="0", margin_top="2px"),
            rx.box(rx.text(title, weight="medium", size="2"), rx.text(text, size="2", color_scheme="gray")),
            align="start",
            spacing="3",
        )

    return rx.vstack(
        empty_state(
            "rocket",
            "Welcome to nyxCore",
            "Start with a sample project: notes, a finished workflow run, its report and a discussion, all "
            "recorded (nothing is paid). Or create your own project above.",
            rx.button(
                rx.icon("sparkles", size=16),
                "Create a sample project",
                on_click=DashboardState.create_sample,
                id="create-sample",
            ),
            id="no-projects",
        ),
        rx.grid(
            part("folder-kanban", "Projects", "One per product, feature or repository you work on."),
            part("notebook-pen", "Notes", "Markdown notes with screenshots: decisions, findings, bug reports."),
            part("brain", "Memory Hub", "What the team learned, across projects, searchable by words and tags."),
            part("workflow", "Workflows", "LLM pipelines that turn notes into action points and plans."),
            part("messages-square", "Discussions", "Personas debate a question; the best approach becomes a plan."),
            part("file-text", "Reports", "Overviews, run reports and summaries, as Markdown and PDF."),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
            id="welcome",
        ),
        spacing="4",
        width="100%",
    )


@signed_in_page(section="projects")
def dashboard_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Projects",
            rx.link(rx.button(rx.icon("chart-column", size=14), "Spend", variant="soft", size="2"), href=routes.SPEND),
            rx.link(rx.button(rx.icon("trash-2", size=14), "Trash", variant="soft", size="2"), href=routes.TRASH),
            description="Each project keeps its notes, images and settings.",
        ),
        page_error(),
        section_card("New project", _create_form()),
        rx.cond(
            DashboardState.loaded,
            rx.cond(
                DashboardState.projects.length() > 0,  # type: ignore[attr-defined]
                rx.grid(
                    rx.foreach(DashboardState.projects, _project_card),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                _welcome(),
            ),
            rx.center(rx.spinner(), width="100%", padding="2em"),
        ),
        spacing="4",
        width="100%",
    )
