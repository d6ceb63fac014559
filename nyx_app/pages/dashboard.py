"""Dashboard: the tenant's projects — list, create, rename, describe, delete, publish."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app import routes
from nyx_app.components.forms import confirm_delete, published_badge, save_cancel
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.models.project import Project
from nyx_app.services import projects
from nyx_app.services.permissions import Action, role_may
from nyx_app.state.session import AuthState, user_action


@dataclasses.dataclass
class ProjectCard:
    id: str
    name: str
    description: str
    published: bool
    url: str

    @classmethod
    def of(cls, p: Project) -> ProjectCard:
        return cls(str(p.id), p.name, p.description, p.published, routes.project_url(str(p.id)))


class DashboardState(AuthState):
    projects: list[ProjectCard] = []
    editing_id: str = ""

    # Only to hide what the role may not do; the services refuse it anyway.
    @rx.var
    def may_delete(self) -> bool:
        return role_may(self.role, Action.PROJECT_DELETE)

    @rx.var
    def may_publish(self) -> bool:
        return role_may(self.role, Action.PROJECT_PUBLISH)

    async def _reload(self) -> None:
        self.projects = [ProjectCard.of(p) for p in await self._in_tenant(projects.list_projects)]

    @rx.event
    @user_action
    async def load(self):
        self.editing_id = ""
        await self._reload()

    @rx.event
    @user_action
    async def create(self, form: dict[str, str]):
        await self._in_tenant(
            lambda s, c: projects.create_project(s, c, form.get("name", ""), form.get("description", ""))
        )
        await self._reload()
        return rx.toast.success("Project created")

    @rx.event
    def start_edit(self, project_id: str):
        self.editing_id = project_id

    @rx.event
    def cancel_edit(self):
        self.editing_id = ""

    @rx.event
    @user_action
    async def save_edit(self, form: dict[str, str]):
        pid = self.editing_id
        await self._in_tenant(
            lambda s, c: projects.update_project(
                s, c, pid, name=form.get("name", ""), description=form.get("description", "")
            )
        )
        self.editing_id = ""
        await self._reload()

    @rx.event
    @user_action
    async def set_published(self, project_id: str, published: bool):
        await self._in_tenant(lambda s, c: projects.update_project(s, c, project_id, published=published))
        await self._reload()

    @rx.event
    @user_action
    async def delete(self, project_id: str):
        await self._in_tenant(lambda s, c: projects.delete_project(s, c, project_id))
        await self._reload()
        return rx.toast.success("Project deleted")


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="name", placeholder="New project name", id="new-project-name", width="16em"),
            rx.input(name="description", placeholder="Description (optional)", id="new-project-description", flex="1"),
            rx.button(rx.icon("plus", size=16), "Create project", type="submit", id="create-project"),
            width="100%",
        ),
        on_submit=DashboardState.create,
        reset_on_submit=True,
        width="100%",
    )


def _edit_form(p: ProjectCard) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.input(name="name", default_value=p.name, id="edit-project-name", width="100%"),
            rx.text_area(name="description", default_value=p.description, id="edit-project-description", width="100%"),
            save_cancel("Save", "save-project", DashboardState.cancel_edit),
            width="100%",
        ),
        on_submit=DashboardState.save_edit,
        width="100%",
    )


def _card_view(p: ProjectCard) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(rx.heading(p.name, size="4"), href=p.url, class_name="project-link"),
            published_badge(p.published),
            align="center",
        ),
        rx.text(rx.cond(p.description != "", p.description, "No description"), size="2", color_scheme="gray"),
        rx.hstack(
            rx.button("Open", size="1", variant="soft", on_click=rx.redirect(p.url)),
            rx.button("Rename / describe", size="1", variant="soft", on_click=DashboardState.start_edit(p.id)),
            rx.cond(
                DashboardState.may_publish,
                rx.button(
                    rx.cond(p.published, "Unpublish", "Publish"),
                    size="1",
                    variant="soft",
                    on_click=DashboardState.set_published(p.id, ~p.published),
                ),
            ),
            rx.cond(
                DashboardState.may_delete,
                confirm_delete(
                    "Delete project?",
                    "Its notes and images are deleted too. This cannot be undone.",
                    DashboardState.delete(p.id),
                    trigger_class="delete-project",
                ),
            ),
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


@signed_in_page
def dashboard_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Projects", size="7"),
        _create_form(),
        error_callout(DashboardState.error),
        rx.cond(
            DashboardState.projects.length() > 0,  # type: ignore[attr-defined]
            rx.grid(rx.foreach(DashboardState.projects, _project_card), columns="2", spacing="3", width="100%"),
            rx.text("No projects yet. Create one above.", color_scheme="gray", id="no-projects"),
        ),
        spacing="4",
        width="100%",
    )
