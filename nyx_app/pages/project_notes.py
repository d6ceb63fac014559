"""The Notes tab of a project: compact cards, searched, sorted and paged in SQL.

The state holds only the cards on screen (a page of them, more on request), never a note's text:
with 200 notes the project page sends a few KB, where it sent every note in full before. A note
is read and edited on its own page; a new one opens there.
"""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.api.images import thumb_url
from nyx_app.components.note_cards import NoteCardView, note_card, notes_toolbar, time_ago
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.services import notes
from nyx_app.services.knowledge.search import ranked_ids
from nyx_app.services.notes import NoteCard, NoteListing, NoteQuery, NoteSort
from nyx_app.state.session import AuthState, user_action

SEARCH_DEBOUNCE_MS = 300


def _view(card: NoteCard) -> NoteCardView:
    return NoteCardView(
        id=str(card.id),
        title=card.title,
        excerpt=card.excerpt,
        url=routes.note_url(str(card.project_id), str(card.id)),
        thumb_path=thumb_url(card.first_image_id) if card.first_image_id else "",
        image_count=card.image_count,
        updated=time_ago(card.updated_at),
        author=card.author,
    )


class ProjectNotesState(AuthState):
    cards: list[NoteCardView] = []
    total: int = 0
    has_more: bool = False
    query: str = ""
    sort: str = NoteSort.UPDATED.value
    _project_id: str = ""

    @rx.var
    def count_label(self) -> str:
        one = self.total == 1
        if self.query:
            return f"{self.total} {'note matches' if one else 'notes match'}"
        return f"{self.total} {'note' if one else 'notes'}"

    def show(self, project_id: str, listing: NoteListing) -> None:
        """The first page, as the project page's load read it (in its one transaction)."""
        self._project_id, self.query, self.sort = project_id, listing.query.text, listing.query.sort.value
        self._put(listing, append=False)

    def first_page_query(self, project_id: str) -> NoteQuery:
        """What the project page loads: the same sort as before on the same project, no search."""
        return NoteQuery(sort=NoteSort(self.sort) if project_id == self._project_id else NoteSort.UPDATED)

    def _put(self, listing: NoteListing, *, append: bool) -> None:
        fresh = [_view(c) for c in listing.cards]
        if append:  # notes added meanwhile shift the pages; never show one twice
            seen = {c.id for c in self.cards}
            fresh = [*self.cards, *(c for c in fresh if c.id not in seen)]
        self.cards, self.total = fresh, listing.total
        self.has_more = listing.has_more

    async def _list(self, offset: int = 0) -> NoteListing:
        project_id = self._project_id
        # The same hybrid search as the header's, in this project: notes found by meaning match too.
        ranked = await ranked_ids(await self._require(), self.query, KnowledgeKind.NOTE, project_id=project_id)
        query = NoteQuery(self.query, NoteSort(self.sort), offset, ranked=ranked)
        return await self._in_tenant(lambda s, c: notes.list_cards(s, c, project_id, query))

    @rx.event
    @user_action
    async def search(self, text: str):
        self.query = text
        self._put(await self._list(), append=False)

    @rx.event
    @user_action
    async def set_sort(self, sort: str):
        self.sort = NoteSort(sort).value
        self._put(await self._list(), append=False)

    @rx.event
    @user_action
    async def show_more(self):
        self._put(await self._list(offset=len(self.cards)), append=True)

    @rx.event
    @user_action
    async def create_note(self, form: dict[str, str]):
        project_id = self._project_id
        note = await self._in_tenant(lambda s, c: notes.create_note(s, c, project_id, form.get("title", "")))
        card = NoteCard(note.id, note.project_id, note.title, "", 0, None, note.created_at, note.updated_at, "")
        # At the top of the list (whatever the sort) for when the user comes back; its page opens.
        self.cards, self.total = [_view(card), *self.cards], self.total + 1
        return [
            rx.toast.success(f"Note “{note.title}” created"),
            rx.redirect(routes.note_url(project_id, str(note.id))),
        ]


def notes_tab() -> rx.Component:
    S = ProjectNotesState
    return rx.vstack(
        notes_toolbar(
            on_search=S.search.debounce(SEARCH_DEBOUNCE_MS),
            sort=S.sort,
            on_sort=S.set_sort,
            on_create=S.create_note,
        ),
        rx.text(S.count_label, size="2", color_scheme="gray", id="notes-count"),
        rx.cond(
            S.cards.length() > 0,  # type: ignore[attr-defined]
            rx.grid(
                rx.foreach(S.cards, note_card),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
                id="note-list",
            ),
            rx.text(
                rx.cond(S.query != "", "No note matches.", "No notes yet. Give the first one a title above."),
                color_scheme="gray",
                id="no-notes",
            ),
        ),
        rx.cond(
            S.has_more,
            rx.button(
                "Show more",
                rx.text.span("(", S.cards.length(), " of ", S.total, ")", color_scheme="gray"),  # type: ignore[attr-defined]
                variant="soft",
                on_click=S.show_more,
                id="show-more-notes",
            ),
        ),
        width="100%",
        spacing="3",
    )
