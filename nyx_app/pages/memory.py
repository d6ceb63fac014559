"""Memory Hub: tenant knowledge entries — create, edit, delete, full-text search with counts,
marked matches, tag chips that filter, and more results on demand.

Results are paged in SQL (``memory.search_page``); "Show more" reads the next page and appends it.
Marked titles and passages come from the server as text with one-off markers and are turned into
HTML by ``markdown.highlight`` (everything escaped, only the markers become ``<mark>``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.integrations import markdown
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.services import memory, trash
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.knowledge.search import ranked_ids
from nyx_app.services.memory import HubView, Marks, SearchPage
from nyx_app.services.permissions import Action
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action
from nyx_app.state.trash import moved

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
    # The entry a link opened (``/memory?entry=<id>``, from a search hit): shown first, whole.
    focus_id: str = ""
    # The hybrid search's ranking of the current query, for "Show more" (backend only).
    _ranked_ids: list[str] = []
    # Bumped after a successful create: the form is keyed by it, so React remounts it empty in the
    # same update that shows the result (clearing inputs afterwards could wipe new typing).
    created: int = 0
    form_open: bool = False  # on a phone: the new-entry form shown (it is always shown on a desktop)

    @rx.event
    def toggle_form(self):
        self.form_open = not self.form_open

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
    ) -> Any:
        """An optional change and the re-read in one transaction: if the page cannot show the
        result, nothing was saved either (no half-done save reported as an error). A query also
        asks the hybrid search (meaning and words, the header's search scoped to memory). Returns
        what the change returned."""
        ranked = await self._ranked(query)
        changed: list[object] = []

        async def run(s: AsyncSession, c: TenantContext) -> Shown:
            if change is not None:
                changed.append(await change(s, c))
            view = await memory.hub(s, c, query, tag=tag, ranked=ranked)
            return view, [_entry(h, view.results.marks, c) for h in view.results.hits]

        self._show(await self._in_tenant(run))
        # Kept only once the search worked: a refused one leaves the page as it was.
        self.query, self.tag = query, tag
        return changed[0] if changed else None

    async def _ranked(self, query: str) -> tuple[uuid.UUID, ...]:
        if not query.strip():
            self._ranked_ids = []
            return ()
        ranked = await ranked_ids(await self._require(), query, KnowledgeKind.MEMORY)
        self._ranked_ids = [str(i) for i in ranked]
        return ranked

    @rx.event
    @user_action
    async def load(self):
        self.editing_id, self.loaded, self.focus_id = "", False, ""
        await self._hub("", "")
        wanted = str(self.router.url.query_parameters.get("entry", "") or "")
        if wanted:
            return await self._focus(wanted)
        return None

    async def _focus(self, entry_id: str):  # type: ignore[no-untyped-def]
        """Open the linked entry: first in the list, whole, scrolled to."""
        try:
            view = await self._in_tenant(lambda s, c: _focused(s, c, entry_id))
        except (NotFound, InvalidInput):
            self.error = "That memory entry does not exist (any more), or it is not in this workspace."
            return None
        self.entries = [view, *[e for e in self.entries if e.id != view.id]]
        self.focus_id = view.id
        return rx.scroll_to(f"memory-{view.id}")

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
        ranked = [uuid.UUID(i) for i in self._ranked_ids]

        async def read(s: AsyncSession, c: TenantContext) -> tuple[SearchPage, list[EntryView]]:
            page = await memory.search_page(s, c, query, tag=tag, offset=offset, ranked=ranked)
            return page, [_entry(h, page.marks, c) for h in page.hits]

        page, entries = await self._in_tenant(read)
        self._show_results(page, entries, append=True)

    @rx.event
    @user_action(form="new-memory")
    async def create(self, form: dict[str, str]):
        fields = _entry_fields(form)
        await self._hub(self.query, self.tag, lambda s, c: memory.create_entry(s, c, **fields))
        self.created += 1
        return toasts.done("Memory saved")

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
        binned = await self._hub(self.query, self.tag, lambda s, c: trash.trash_memory(s, c, entry_id))
        return moved(binned)


async def _focused(s: AsyncSession, c: TenantContext, entry_id: str) -> EntryView:
    return _entry(await memory.entry_hit(s, c, entry_id), None, c)


def _entry_fields(form: dict[str, str]) -> dict[str, str | None]:
    project = form.get("project_id") or NO_PROJECT
    return {
        "title": form.get("title", ""),
        "content": form.get("content", ""),
        "tags": form.get("tags", ""),
        "project_id": None if project == NO_PROJECT else project,
    }
