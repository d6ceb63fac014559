"""Memory Hub: tenant knowledge entries — create, edit, delete, full-text search with counts,
marked matches, tag chips that filter, and more results on demand.

Results are paged in SQL (``memory.search_page``); "Show more" reads the next page and appends it.
Marked titles and passages come from the server as text with one-off markers and are turned into
HTML by ``markdown.highlight`` (everything escaped, only the markers become ``<mark>``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.forms import save_cancel
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import empty_state, page_header, section_card
from nyx_app.integrations import markdown
from nyx_app.services import memory
from nyx_app.services.context import TenantContext
from nyx_app.services.memory import HubView, Marks, SearchPage
from nyx_app.services.permissions import Action
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

NO_PROJECT = "none"


@dataclasses.dataclass
class EntryView:
    id: str
    title: str
    title_html: str  # escaped title, matches marked
    snippet_html: str  # escaped passages around matches; "" without a search
    html: str  # the whole entry: Markdown rendered and sanitised on the server
    content: str  # the Markdown, for the editor
    tags: list[str]
    tags_text: str
    project_id: str
    project_name: str
    byline: str  # author and dates
    can_delete: bool


@dataclasses.dataclass
class ProjectOption:
    id: str
    name: str


@dataclasses.dataclass
class TagChip:
    tag: str
    count: int


def _marked(text: str, marks: Marks | None) -> str:
    return markdown.highlight(text, marks.start, marks.stop) if marks else markdown.highlight(text)


def _entry(hit: memory.Hit, marks: Marks | None, ctx: TenantContext) -> EntryView:
    e = hit.entry
    byline = f"{hit.author or 'Someone no longer here'} · {e.created_at:%d %b %Y}"
    if (e.updated_at - e.created_at).total_seconds() > 60:
        byline += f" · edited {e.updated_at:%d %b %Y}"
    return EntryView(
        id=str(e.id),
        title=e.title,
        title_html=_marked(hit.title_marked, marks),
        snippet_html=_marked(hit.snippet_marked, marks) if marks and hit.snippet_marked else "",
        html=markdown.render(e.content),
        content=e.content,
        tags=list(e.tags),
        tags_text=", ".join(e.tags),
        project_id=str(e.project_id) if e.project_id else "",
        project_name=hit.project_name,
        byline=byline,
        can_delete=ctx.may(Action.MEMORY_DELETE, author_id=e.created_by),
    )


Shown = tuple[HubView, list[EntryView]]


class MemoryState(AuthState):
    entries: list[EntryView] = []
    project_options: list[ProjectOption] = []
    tags: list[TagChip] = []
    query: str = ""
    tag: str = ""
    total: int = 0
    has_more: bool = False
    loaded: bool = False
    editing_id: str = ""

    @rx.var
    def count_label(self) -> str:
        if not self.loaded:
            return ""
        noun = "entry" if self.total == 1 else "entries"
        what = f"{self.total:,} {noun}"
        if self.query or self.tag:
            what += " match"
            if self.query:
                what += f" “{self.query}”"
            if self.tag:
                what += f" tagged {self.tag}"
        if len(self.entries) < self.total:
            return f"Showing {len(self.entries):,} of {what}"
        return what

    def _show(self, shown: Shown) -> None:
        view, entries = shown
        self.project_options = [ProjectOption(str(i), n) for i, n in view.projects]
        self.tags = [TagChip(t.tag, t.count) for t in view.tags]
        self._show_results(view.results, entries, append=False)

    def _show_results(self, page: SearchPage, entries: list[EntryView], *, append: bool) -> None:
        self.entries = [*self.entries, *entries] if append else entries
        self.total, self.has_more, self.loaded = page.total, page.has_more, True

    async def _hub(
        self, query: str, tag: str, change: Callable[[AsyncSession, TenantContext], Awaitable[object]] | None = None
    ) -> None:
        """An optional change and the re-read in one transaction: if the page cannot show the
        result, nothing was saved either (no half-done save reported as an error)."""

        async def run(s: AsyncSession, c: TenantContext) -> Shown:
            if change is not None:
                await change(s, c)
            view = await memory.hub(s, c, query, tag=tag)
            return view, [_entry(h, view.results.marks, c) for h in view.results.hits]

        self._show(await self._in_tenant(run))
        # Kept only once the search worked: a refused one leaves the page as it was.
        self.query, self.tag = query, tag

    @rx.event
    @user_action
    async def load(self):
        self.editing_id, self.loaded = "", False
        await self._hub("", "")

    @rx.event
    @user_action(form="search")
    async def search(self, form: dict[str, str]):
        await self._hub(form.get("query", ""), self.tag)

    @rx.event
    @user_action
    async def filter_tag(self, tag: str):
        await self._hub(self.query, "" if tag == self.tag else tag)

    @rx.event
    @user_action
    async def clear_filters(self):
        await self._hub("", "")
        return rx.set_value("memory-query", "")

    @rx.event
    @user_action
    async def more(self):
        query, tag, offset = self.query, self.tag, len(self.entries)

        async def read(s: AsyncSession, c: TenantContext) -> tuple[SearchPage, list[EntryView]]:
            page = await memory.search_page(s, c, query, tag=tag, offset=offset)
            return page, [_entry(h, page.marks, c) for h in page.hits]

        page, entries = await self._in_tenant(read)
        self._show_results(page, entries, append=True)

    @rx.event
    @user_action(form="new-memory")
    async def create(self, form: dict[str, str]):
        fields = _entry_fields(form)
        await self._hub(self.query, self.tag, lambda s, c: memory.create_entry(s, c, **fields))
        clear = [rx.set_value(f"new-memory-{name}", "") for name in ("title", "content", "tags")]
        return [*clear, toasts.done("Memory saved")]

    @rx.event
    def start_edit(self, entry_id: str):
        self.editing_id, self.field_errors = entry_id, {}

    @rx.event
    def cancel_edit(self):
        self.editing_id, self.error, self.field_errors = "", "", {}

    @rx.event
    @user_action(form="edit-memory")
    async def save_edit(self, form: dict[str, str]):
        entry_id, fields = self.editing_id, _entry_fields(form)
        await self._hub(self.query, self.tag, lambda s, c: memory.update_entry(s, c, entry_id, **fields))
        self.editing_id = ""
        return toasts.done("Memory saved")

    @rx.event
    @user_action
    async def delete(self, entry_id: str):
        await self._hub(self.query, self.tag, lambda s, c: memory.delete_entry(s, c, entry_id))
        return toasts.done("Memory deleted")


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
        rx.select.trigger(placeholder="No project", id=id, width="100%"),
        rx.select.content(
            rx.select.item("No project", value=NO_PROJECT),
            rx.foreach(MemoryState.project_options, lambda p: rx.select.item(p.name, value=p.id)),
        ),
        name="project_id",
        default_value=default,
    )


def _entry_form(form: str, entry: EntryView | None = None) -> list[rx.Component]:
    def default(value: rx.Var[str] | None) -> dict:
        return {"default_value": value} if value is not None else {}

    project = rx.cond(entry.project_id != "", entry.project_id, NO_PROJECT) if entry is not None else NO_PROJECT
    return [
        field("Title", "title", form, **default(entry.title if entry is not None else None)),
        field(
            "Content",
            "content",
            form,
            multiline=True,
            rows="4",
            placeholder="What should the team remember? Markdown works.",
            **default(entry.content if entry is not None else None),
        ),
        rx.box(
            field(
                "Tags",
                "tags",
                form,
                placeholder="comma separated, e.g. ops, deploy",
                **default(entry.tags_text if entry is not None else None),
            ),
            field(
                "Project", "project_id", form, control=_project_select(project, f"{form}-project"), id=f"{form}-project"
            ),
            class_name="nyx-row",
        ),
        form_error(form),
    ]


def _chip(tag: rx.Var[str], label: rx.Var | str, class_name: str) -> rx.Component:
    return rx.badge(
        label,
        variant=rx.cond(MemoryState.tag == tag, "solid", "soft"),
        size="2",
        class_name=f"nyx-chip {class_name}",
        role="button",
        tab_index=0,
        data_tag=tag,
        aria_pressed=rx.cond(MemoryState.tag == tag, "true", "false"),
        on_click=MemoryState.filter_tag(tag),
    )


def _entry_card(e: EntryView) -> rx.Component:
    view = rx.vstack(
        rx.flex(
            markdown_view(
                e.title_html, class_name="memory-title", style={"font_weight": "600", "font_size": "var(--font-size-4)"}
            ),
            rx.hstack(
                rx.button(
                    "Edit", size="1", variant="soft", on_click=MemoryState.start_edit(e.id), class_name="edit-memory"
                ),
                rx.cond(
                    e.can_delete,
                    confirm_dialog(
                        "Delete this memory?",
                        "The entry is deleted for the whole workspace. This cannot be undone.",
                        MemoryState.delete(e.id),
                        trigger_class="delete-memory",
                        confirm_class="confirm-delete-memory",
                    ),
                ),
                spacing="2",
                flex_shrink="0",
            ),
            justify="between",
            gap="3",
            width="100%",
        ),
        rx.text(e.byline, size="1", color_scheme="gray", class_name="memory-byline"),
        rx.cond(
            e.snippet_html != "",
            rx.vstack(
                markdown_view(e.snippet_html, class_name="memory-snippet", style={"color": "var(--gray-11)"}),
                rx.el.details(
                    rx.el.summary(rx.text("Show the whole entry", size="1", as_="span"), cursor="pointer"),
                    markdown_view(e.html, class_name="memory-content", padding_top="0.5em"),
                ),
                width="100%",
                spacing="2",
            ),
            markdown_view(e.html, class_name="memory-content"),
        ),
        rx.hstack(
            rx.foreach(e.tags, lambda t: _chip(t, t, "entry-tag")),
            rx.cond(
                e.project_name != "",
                rx.badge(rx.icon("folder", size=12), e.project_name, color_scheme="green", variant="outline"),
            ),
            wrap="wrap",
            spacing="2",
        ),
        width="100%",
        spacing="2",
    )
    editor = rx.form(
        rx.vstack(
            *_entry_form("edit-memory", e), save_cancel("Save", "save-memory", MemoryState.cancel_edit), width="100%"
        ),
        on_submit=MemoryState.save_edit,
    )
    return rx.card(rx.cond(MemoryState.editing_id == e.id, editor, view), width="100%", class_name="memory-card")


def _search() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.box(
                field(
                    "Search", "query", "search", id="memory-query", placeholder='Words, "a phrase", -without, or a tag'
                ),
                rx.box(
                    rx.text("\u00a0", size="2", display=rx.breakpoints(initial="none", sm="block")),
                    rx.button(rx.icon("search", size=16), "Search", type="submit", id="memory-search"),
                    class_name="nyx-row-fixed",
                ),
                class_name="nyx-row",
            ),
            on_submit=MemoryState.search,
            width="100%",
        ),
        rx.cond(
            MemoryState.tags.length() > 0,  # type: ignore[attr-defined]
            rx.hstack(
                rx.text("Tags:", size="2", color_scheme="gray"),
                rx.foreach(
                    MemoryState.tags,
                    lambda t: _chip(t.tag, rx.fragment(t.tag, " ", rx.text.span(t.count, opacity="0.7")), "tag-chip"),
                ),
                wrap="wrap",
                spacing="2",
                align="center",
                id="memory-tags",
            ),
        ),
        rx.flex(
            rx.text(MemoryState.count_label, size="2", color_scheme="gray", id="memory-count"),
            rx.cond(
                (MemoryState.query != "") | (MemoryState.tag != ""),
                rx.button(
                    "Clear search",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=MemoryState.clear_filters,
                    id="clear-search",
                ),
            ),
            gap="3",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        spacing="3",
    )


def _results() -> rx.Component:
    return rx.cond(
        MemoryState.entries.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.foreach(MemoryState.entries, _entry_card),
            rx.cond(
                MemoryState.has_more,
                rx.center(
                    rx.button("Show more", variant="soft", on_click=MemoryState.more, id="memory-more"), width="100%"
                ),
            ),
            width="100%",
            spacing="3",
        ),
        rx.cond(
            (MemoryState.query != "") | (MemoryState.tag != ""),
            empty_state(
                "search-x", "Nothing matches", "Try other words, fewer words, or clear the search.", id="no-memories"
            ),
            empty_state(
                "brain",
                "No memories yet",
                "The memory hub keeps what the team learned — decisions, pitfalls, how-tos — across projects. "
                "Add the first one above; tag it so others find it.",
                id="no-memories",
            ),
        ),
    )


@signed_in_page(section="memory")
def memory_page() -> rx.Component:
    return rx.vstack(
        page_header("Memory Hub", description="What the team learned, searchable by words and tags."),
        error_callout(MemoryState.error),
        section_card(
            "Add a memory",
            rx.form(
                rx.vstack(
                    *_entry_form("new-memory"),
                    rx.button(rx.icon("plus", size=16), "Add memory", type="submit", id="add-memory"),
                    width="100%",
                ),
                on_submit=MemoryState.create,
            ),
        ),
        _search(),
        rx.cond(MemoryState.loaded, _results(), rx.center(rx.spinner(), width="100%", padding="2em")),
        width="100%",
        spacing="4",
    )
