"""The workspace search in the header: one box (``/`` or Ctrl/Cmd-K), results grouped by kind.

Typing searches (debounced in the browser); Enter opens the selected hit (the first unless the
arrow keys moved it). The search itself is ``services.knowledge.search``: hybrid, under the
tenant's RLS, each hit with why it matched. Titles and passages arrive with one-off markers and
become HTML here through ``markdown.highlight`` (all text escaped, only the markers become
``<mark>``). Hits carry only their kind and ids; the URL is built here from the hit's own
project, so nothing the browser sends picks what is opened.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app import routes
from nyx_app.integrations import markdown
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.services.knowledge.search import Hit, MatchedBy, SearchRequest, SearchResult, search
from nyx_app.state.session import AuthState, user_action

KIND_LABELS: dict[str, str] = {
    KnowledgeKind.NOTE: "Notes",
    KnowledgeKind.MEMORY: "Memory",
    KnowledgeKind.INSIGHT: "Workflow insights",
    KnowledgeKind.RUN_OUTPUT: "Run outputs",
    KnowledgeKind.REPORT: "Reports",
    KnowledgeKind.POLICY_PASSAGE: "Policies",
    KnowledgeKind.CODE_PATTERN: "Code patterns",
    KnowledgeKind.IMAGE_DESCRIPTION: "Image descriptions",
    KnowledgeKind.CONSOLIDATION_PATTERN: "Patterns",
}
WHY_LABELS: dict[str, str] = {
    MatchedBy.BOTH: "words and meaning",
    MatchedBy.WORDS: "words",
    MatchedBy.MEANING: "meaning",
}


def hit_url(hit: Hit) -> str:
    """Where a hit opens: the item's own page, or its parent's (an insight's run)."""
    project = str(hit.project_id) if hit.project_id else ""
    parent = str(hit.parent_id) if hit.parent_id else ""
    return routes.knowledge_url(hit.kind.value, str(hit.item_id), parent, project)


@dataclasses.dataclass
class HitView:
    index: int  # position in the whole list (arrow keys and Enter)
    url: str
    title_html: str
    passage_html: str
    project: str
    date: str
    why: str  # "words", "meaning", "words and meaning"


@dataclasses.dataclass
class GroupView:
    label: str
    hits: list[HitView]


def _views(result: SearchResult) -> list[GroupView]:
    marks = result.marks
    groups: dict[str, list[HitView]] = {}
    index = 0
    # Groups in the order of their best hit; hits in score order inside a group.
    for hit in result.hits:
        groups.setdefault(hit.kind.value, [])
    for kind in list(groups):
        for hit in (h for h in result.hits if h.kind.value == kind):
            groups[kind].append(
                HitView(
                    index=index,
                    url=hit_url(hit),
                    title_html=markdown.highlight(hit.title_marked or "(untitled)", marks.start, marks.stop),
                    passage_html=markdown.highlight(hit.passage_marked, marks.start, marks.stop),
                    project=hit.project_name,
                    date=f"{hit.updated_at:%d %b %Y}",
                    why=WHY_LABELS[hit.matched_by],
                )
            )
            index += 1
    return [GroupView(KIND_LABELS.get(kind, kind), hits) for kind, hits in groups.items()]


class SearchState(AuthState):
    search_open: bool = False
    query: str = ""
    groups: list[GroupView] = []
    urls: list[str] = []  # the hits' URLs in list order
    selected: int = 0
    note: str = ""
    searched: bool = False  # a search ran for the current query (so "no results" can show)

    @rx.event
    def open_search(self):
        self.search_open, self.error = True, ""
        return rx.set_focus("search-input")

    @rx.event
    def set_search_open(self, value: bool):
        self.search_open = value

    def _clear(self) -> None:
        self.groups, self.urls, self.selected, self.note, self.searched = [], [], 0, "", False

    @rx.event
    @user_action
    async def run_search(self, query: str):
        self.query = query
        if not query.strip():
            self._clear()
            return
        ctx = await self._require()
        result = await search(ctx, SearchRequest(query, limit=20))
        if query != self.query:  # a newer keystroke's search answered first
            return
        self.groups = _views(result)
        self.urls = [h.url for g in self.groups for h in g.hits]
        self.selected, self.note, self.searched = 0, result.note, True

    @rx.event
    def key(self, key: str):
        if key == "ArrowDown" and self.urls:
            self.selected = min(self.selected + 1, len(self.urls) - 1)
        elif key == "ArrowUp" and self.urls:
            self.selected = max(self.selected - 1, 0)
        elif key == "Enter" and self.urls:
            self.search_open = False
            return rx.redirect(self.urls[self.selected])
        return None

    @rx.event
    def opened(self):
        self.search_open = False
