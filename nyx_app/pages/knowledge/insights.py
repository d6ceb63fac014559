"""A project's Insights page: the review findings approved in its runs (each linked to its run and
step), searchable by words and meaning (the header's hybrid search, scoped to insights and this
project), edited or deleted by whoever approved them or by owners and admins; and its
consolidation patterns (recurring lessons), written here, read by note enrichment and ``{{patterns}}``.

Insights feed later runs: a workflow whose prompt says ``{{insights}}`` gets the most relevant ones
(the image-to-implementation template does by default), listed on that run's page.
"""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import empty_state, not_found_view, page_header, section_card
from nyx_app.integrations import markdown
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.models.library import PatternKind
from nyx_app.services import insights
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.knowledge.search import ranked_ids
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

PATTERN_LABELS = {
    PatternKind.CONVENTION: "Convention",
    PatternKind.PITFALL: "Pitfall",
    PatternKind.BEST_PRACTICE: "Best practice",
}


@dataclasses.dataclass
class InsightRow:
    id: str
    html: str  # rendered by the one Markdown renderer (the text is hostile)
    text: str  # for the edit box
    run_title: str
    run_url: str
    step: str
    author: str
    date: str
    may_edit: bool


@dataclasses.dataclass
class PatternRow:
    id: str
    kind: str
    title: str
    html: str
    author: str
    sources: str
    may_edit: bool


def _insight(i: insights.InsightView, project_id: str) -> InsightRow:
    return InsightRow(
        i.id,
        markdown.render(i.text),
        i.text,
        i.run_title,
        routes.run_url(project_id, i.run_id),
        i.step_name,
        i.author,
        i.created_at.strftime("%Y-%m-%d"),
        i.may_edit,
    )


def _pattern(p: insights.PatternView) -> PatternRow:
    label = PATTERN_LABELS.get(PatternKind(p.kind), p.kind) if p.kind in PatternKind._value2member_map_ else p.kind
    sources = f"from {p.sources} insight{'s' if p.sources != 1 else ''}" if p.sources else "written by hand"
    return PatternRow(p.id, label, p.title, markdown.render(p.text), p.author, sources, p.may_edit)


class InsightsState(AuthState):
    found: bool = True
    loaded: bool = False
    project_name: str = ""
    project_link: str = ""
    rows: list[InsightRow] = []
    patterns: list[PatternRow] = []
    total: int = 0
    query: str = ""
    editing_id: str = ""
    _project: str = ""

    @rx.var
    def count_label(self) -> str:
        if not self.loaded:
            return ""
        if self.query:
            return f"{len(self.rows)} of {self.total} insights match “{self.query}”"
        return f"{self.total} insight{'s' if self.total != 1 else ''}"

    async def _read(self, query: str, change=None) -> None:  # type: ignore[no-untyped-def]
        project = self._project
        ranked = None
        if query.strip():
            ranked = await ranked_ids(await self._require(), query, KnowledgeKind.INSIGHT, project_id=project)

        async def read(s: AsyncSession, c: TenantContext) -> insights.InsightsPage:
            if change is not None:
                await change(s, c)
            return await insights.insights_page(s, c, project, ranked)

        page = await self._in_tenant(read)
        self.project_name, self.project_link = page.project_name, routes.project_url(page.project_id)
        self.rows = [_insight(i, page.project_id) for i in page.insights]
        self.patterns = [_pattern(p) for p in page.patterns]
        self.total, self.query, self.loaded, self.found = page.total, query.strip(), True, True

    @rx.event
    @user_action
    async def load(self):
        self._project, self.editing_id, self.loaded = self.project_id, "", False  # type: ignore[attr-defined]
        try:
            await self._read("")
        except NotFound:
            self.found, self.loaded = False, True

    @rx.event
    @user_action(form="insight-search")
    async def search(self, form: dict[str, str]):
        await self._read(form.get("query", "")[:500])

    @rx.event
    @user_action
    async def clear_search(self):
        await self._read("")
        return rx.set_value("insight-query", "")

    @rx.event
    def start_edit(self, insight_id: str):
        self.editing_id = insight_id

    @rx.event
    def cancel_edit(self):
        self.editing_id = ""

    @rx.event
    @user_action(form="edit-insight")
    async def save_edit(self, form: dict[str, str]):
        insight_id, text = self.editing_id, form.get("text", "")
        await self._read(self.query, lambda s, c: insights.update_insight(s, c, insight_id, text))
        self.editing_id = ""
        return toasts.done("Insight saved")

    @rx.event
    @user_action
    async def delete(self, insight_id: str):
        await self._read(self.query, lambda s, c: insights.delete_insight(s, c, insight_id))
        return toasts.done("Insight deleted")

    @rx.event
    @user_action(form="new-pattern")
    async def add_pattern(self, form: dict[str, str]):
        project, kind, title, text = self._project, form.get("kind", ""), form.get("title", ""), form.get("text", "")
        await self._read(
            self.query, lambda s, c: insights.create_pattern(s, c, project, kind=kind, title=title, text=text)
        )
        return [toasts.done("Pattern saved"), rx.set_value("pattern-title", ""), rx.set_value("pattern-text", "")]

    @rx.event
    @user_action
    async def delete_pattern(self, pattern_id: str):
        await self._read(self.query, lambda s, c: insights.delete_pattern(s, c, pattern_id))
        return toasts.done("Pattern deleted")


S = InsightsState


def _edit_form(row: InsightRow) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(name="text", default_value=row.text, rows="6", width="100%", id="insight-text"),
            rx.hstack(
                rx.button("Save", type="submit", size="2", id="save-insight"),
                rx.button("Cancel", type="button", variant="soft", size="2", on_click=S.cancel_edit),
            ),
            width="100%",
        ),
        on_submit=S.save_edit,
        width="100%",
    )


def _insight_card(row: InsightRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(S.editing_id == row.id, _edit_form(row), markdown_view(row.html, class_name="insight-text")),
            rx.hstack(
                rx.link(
                    rx.hstack(rx.icon("play", size=12), rx.text(row.run_title), spacing="1", align="center"),
                    href=row.run_url,
                    size="2",
                    class_name="insight-run",
                ),
                rx.badge("step: ", row.step, variant="soft", size="1"),
                rx.text("approved by ", row.author, " · ", row.date, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.cond(
                    row.may_edit & (S.editing_id != row.id),
                    rx.hstack(
                        rx.button(
                            "Edit", size="1", variant="soft", on_click=S.start_edit(row.id), class_name="edit-insight"
                        ),
                        confirm_dialog(
                            "Delete insight?",
                            "Later runs will no longer draw on it. This cannot be undone.",
                            S.delete(row.id),
                            trigger_class="delete-insight",
                            confirm_class="confirm-delete-insight",
                        ),
                        spacing="2",
                    ),
                ),
                width="100%",
                align="center",
                wrap="wrap",
                spacing="2",
            ),
            width="100%",
        ),
        class_name="insight",
        width="100%",
    )


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="query",
                placeholder="Search insights by words or meaning…",
                id="insight-query",
                width="100%",
                max_length=500,
            ),
            rx.button(rx.icon("search", size=14), "Search", type="submit", id="insight-search"),
            rx.cond(S.query != "", rx.button("Clear", type="button", variant="soft", on_click=S.clear_search)),
            width="100%",
        ),
        on_submit=S.search,
        width="100%",
    )


def _pattern_card(row: PatternRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(row.kind, variant="soft"),
                rx.text(row.title, weight="bold", size="3"),
                rx.spacer(),
                rx.cond(
                    row.may_edit,
                    confirm_dialog(
                        "Delete pattern?",
                        "Enrichment will no longer draw on it.",
                        S.delete_pattern(row.id),
                        trigger_class="delete-pattern",
                        confirm_class="confirm-delete-pattern",
                    ),
                ),
                width="100%",
                align="center",
            ),
            markdown_view(row.html),
            rx.text(row.author, " · ", row.sources, size="1", color_scheme="gray"),
            width="100%",
        ),
        class_name="pattern",
        width="100%",
    )


def _pattern_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.select.root(
                    rx.select.trigger(aria_label="Kind of pattern"),
                    rx.select.content(
                        *[rx.select.item(label, value=kind.value) for kind, label in PATTERN_LABELS.items()]
                    ),
                    name="kind",
                    default_value=PatternKind.CONVENTION.value,
                ),
                rx.input(
                    name="title", placeholder="Title, e.g. “Lock logins per device”", id="pattern-title", width="100%"
                ),
                width="100%",
            ),
            rx.text_area(
                name="text", placeholder="The lesson, and when it applies", rows="3", id="pattern-text", width="100%"
            ),
            rx.button("Add pattern", type="submit", id="add-pattern"),
            width="100%",
        ),
        on_submit=S.add_pattern,
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header(
            "Insights",
            description="Findings approved in this project's reviews. Later runs draw on them through {{insights}}.",
            crumbs=[("Projects", routes.DASHBOARD), (S.project_name, S.project_link), ("Insights", "")],
        ),
        error_callout(S.error),
        _search(),
        rx.text(S.count_label, size="2", color_scheme="gray", id="insight-count"),
        rx.cond(
            S.rows.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(S.rows, _insight_card), width="100%", spacing="3", id="insight-list"),
            rx.cond(
                S.query != "",
                rx.text("No insight matches.", color_scheme="gray", id="no-insight-match"),
                empty_state(
                    "lightbulb",
                    "No insights yet",
                    "Approve the output of a review step in a run: it is kept here and later runs draw on it.",
                    id="no-insights",
                ),
            ),
        ),
        section_card(
            "Consolidation patterns",
            rx.vstack(rx.foreach(S.patterns, _pattern_card), width="100%", spacing="2", id="pattern-list"),
            _pattern_form(),
            description="Recurring lessons of this project. Note enrichment and {{patterns}} draw on them.",
        ),
        spacing="4",
        width="100%",
    )


@signed_in_page(section="projects")
def insights_page() -> rx.Component:
    return rx.cond(
        S.found,
        rx.cond(S.loaded, _content(), rx.spinner()),
        not_found_view("Project not found", "It does not exist, or it is not in your current workspace."),
    )
