"""Memory Hub: tenant knowledge entries — create, edit, delete, full-text search."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.components.forms import save_cancel
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.integrations import markdown
from nyx_app.models.memory import MemoryEntry
from nyx_app.services import memory, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.permissions import Action
from nyx_app.state.session import AuthState, user_action

NO_PROJECT = "none"


@dataclasses.dataclass
class EntryView:
    id: str
    title: str
    content: str  # the Markdown, for the editor
    html: str  # rendered and sanitised on the server: the only form that is shown
    tags: list[str]
    tags_text: str
    project_id: str
    project_name: str
    can_delete: bool


@dataclasses.dataclass
class ProjectOption:
    id: str
    name: str


Listing = tuple[list[ProjectOption], list[EntryView]]


async def _listing(s: AsyncSession, c: TenantContext, query: str) -> Listing:
    """What the page shows: project choices and the entries matching ``query``."""
    names = {p.id: p.name for p in await projects.list_projects(s, c)}
    found = await memory.search(s, c, query)
    return [ProjectOption(str(i), n) for i, n in names.items()], [_view(e, names, c) for e in found]


def _view(e: MemoryEntry, names: dict, c: TenantContext) -> EntryView:
    pid = str(e.project_id) if e.project_id else ""
    return EntryView(
        str(e.id),
        e.title,
        e.content,
        markdown.render(e.content),
        list(e.tags),
        ", ".join(e.tags),
        pid,
        names.get(e.project_id, ""),
        c.may(Action.MEMORY_DELETE, author_id=e.created_by),
    )


class MemoryState(AuthState):
    entries: list[EntryView] = []
    project_options: list[ProjectOption] = []
    query: str = ""
    editing_id: str = ""

    async def _change_and_reload(self, change: Callable[[AsyncSession, TenantContext], Awaitable[object]]) -> None:
        """The change and the re-read in one transaction: if the page cannot show the result,
        nothing was saved either (no half-done save reported as an error, inviting a duplicate)."""
        query = self.query

        async def run(s: AsyncSession, c: TenantContext) -> Listing:
            await change(s, c)
            return await _listing(s, c, query)

        self.project_options, self.entries = await self._in_tenant(run)

    async def _search(self, query: str) -> None:
        # The query is kept only once its search worked: a refused one leaves the page as it was.
        self.project_options, self.entries = await self._in_tenant(lambda s, c: _listing(s, c, query))
        self.query = query

    @rx.event
    @user_action
    async def load(self):
        self.editing_id = ""
        await self._search("")

    @rx.event
    @user_action
    async def search(self, form: dict[str, str]):
        await self._search(form.get("query", ""))

    @rx.event
    @user_action
    async def create(self, form: dict[str, str]):
        await self._change_and_reload(lambda s, c: memory.create_entry(s, c, **_entry_fields(form)))
        return rx.toast.success("Memory saved")

    @rx.event
    def start_edit(self, entry_id: str):
        self.editing_id = entry_id

    @rx.event
    def cancel_edit(self):
        self.editing_id = ""
        self.error = ""

    @rx.event
    @user_action
    async def save_edit(self, form: dict[str, str]):
        entry_id = self.editing_id
        await self._change_and_reload(lambda s, c: memory.update_entry(s, c, entry_id, **_entry_fields(form)))
        self.editing_id = ""
        return rx.toast.success("Memory saved")

    @rx.event
    @user_action
    async def delete(self, entry_id: str):
        await self._change_and_reload(lambda s, c: memory.delete_entry(s, c, entry_id))


def _entry_fields(form: dict[str, str]) -> dict[str, str | None]:
    project = form.get("project_id") or NO_PROJECT
    return {
        "title": form.get("title", ""),
        "content": form.get("content", ""),
        "tags": form.get("tags", ""),
        "project_id": None if project == NO_PROJECT else project,
    }


def _project_select(default: rx.Var[str] | str, id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="No project", id=id),
        rx.select.content(
            rx.select.item("No project", value=NO_PROJECT),
            rx.foreach(MemoryState.project_options, lambda p: rx.select.item(p.name, value=p.id)),
        ),
        name="project_id",
        default_value=default,
    )


def _entry_form(prefix: str, entry: EntryView | None = None) -> list[rx.Component]:
    return [
        rx.input(
            name="title",
            placeholder="Title",
            default_value=entry.title if entry is not None else "",
            id=f"{prefix}-title",
            width="100%",
        ),
        rx.text_area(
            name="content",
            placeholder="What should the team remember?",
            default_value=entry.content if entry is not None else "",
            id=f"{prefix}-content",
            width="100%",
            rows="4",
        ),
        rx.hstack(
            rx.input(
                name="tags",
                placeholder="tags, comma separated",
                default_value=entry.tags_text if entry is not None else "",
                id=f"{prefix}-tags",
                flex="1",
            ),
            _project_select(
                rx.cond(entry.project_id != "", entry.project_id, NO_PROJECT) if entry is not None else NO_PROJECT,
                f"{prefix}-project",
            ),
            width="100%",
        ),
    ]


def _entry_card(e: EntryView) -> rx.Component:
    view = rx.vstack(
        rx.hstack(
            rx.heading(e.title, size="4"),
            rx.spacer(),
            rx.button(
                "Edit", size="1", variant="soft", on_click=MemoryState.start_edit(e.id), class_name="edit-memory"
            ),
            rx.cond(
                e.can_delete,
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=MemoryState.delete(e.id),
                    class_name="delete-memory",
                ),
            ),
            width="100%",
        ),
        markdown_view(e.html, class_name="memory-content"),
        rx.hstack(
            rx.foreach(e.tags, lambda t: rx.badge(t, variant="soft")),
            rx.cond(e.project_name != "", rx.badge(e.project_name, color_scheme="green", variant="outline")),
            wrap="wrap",
        ),
        width="100%",
    )
    editor = rx.form(
        rx.vstack(
            *_entry_form("edit-memory", e),
            save_cancel("Save", "save-memory", MemoryState.cancel_edit),
            width="100%",
        ),
        on_submit=MemoryState.save_edit,
    )
    return rx.card(rx.cond(MemoryState.editing_id == e.id, editor, view), width="100%", class_name="memory-card")


@signed_in_page
def memory_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Memory Hub", size="7"),
        rx.card(
            rx.form(
                rx.vstack(
                    *_entry_form("new-memory"),
                    rx.button(rx.icon("plus", size=16), "Add memory", type="submit", id="add-memory"),
                    width="100%",
                ),
                on_submit=MemoryState.create,
                reset_on_submit=True,
            ),
            width="100%",
        ),
        error_callout(MemoryState.error),
        rx.form(
            rx.hstack(
                rx.input(name="query", placeholder="Search memories (full text or a tag)", id="memory-query", flex="1"),
                rx.button(rx.icon("search", size=16), "Search", type="submit", id="memory-search"),
                width="100%",
            ),
            on_submit=MemoryState.search,
            width="100%",
        ),
        rx.cond(
            MemoryState.entries.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(MemoryState.entries, _entry_card), width="100%", spacing="3"),
            rx.text(
                rx.cond(MemoryState.query != "", "Nothing matches.", "No memories yet."),
                color_scheme="gray",
                id="no-memories",
            ),
        ),
        width="100%",
        spacing="4",
    )
