"""The Discussions tab of a project: its discussions (open, see who spoke and what it cost) and
a form to start one: pick 2-5 personas and a model, ask a question."""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.fields import form_error
from nyx_app.components.layout import error_callout
from nyx_app.components.model_picker import ModelOption, ProviderOption, model_options, provider_model_picker
from nyx_app.components.page import empty_state
from nyx_app.components.persona_card import PersonaCard, to_card
from nyx_app.components.persona_picker import PickerSection, persona_picker, picker_sections, toggle
from nyx_app.models.discussion import QUESTION_MAX
from nyx_app.services import projects
from nyx_app.services.context import TenantContext
from nyx_app.services.discussions import store, turns
from nyx_app.services.llm import catalog, choice, credentials
from nyx_app.services.personas import store as personas
from nyx_app.state.session import AuthState, user_action


@dataclasses.dataclass
class DiscussionRow:
    id: str
    title: str
    speakers: str
    rounds: int
    answering: bool
    cost: str
    updated: str
    url: str


def _row(project_id: str, d: store.DiscussionSummary) -> DiscussionRow:
    return DiscussionRow(
        d.id,
        d.title,
        ", ".join(d.speakers),
        d.rounds,
        d.answering,
        f"${d.cost_usd:.4f}",
        d.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
        routes.discussion_url(project_id, d.id),
    )


@dataclasses.dataclass
class TabData:
    rows: list[DiscussionRow]
    cards: list[PersonaCard]
    providers: list[ProviderOption]
    models: list[ModelOption]
    project_model: str


async def _read(s: AsyncSession, c: TenantContext, project_id: str) -> TabData:
    project = await projects.get_project(s, c, project_id)
    providers, models = model_options(await credentials.list_providers(s, c))
    return TabData(
        [_row(project_id, d) for d in await store.list_discussions(s, c, project.id)],
        [to_card(p) for p in await personas.list_personas(s, c)],
        providers,
        models,
        (await choice.project_model(s, project)).ref,  # an automatic project: the workspace's first model
    )


class DiscussionsTabState(AuthState):
    rows: list[DiscussionRow] = []
    cards: list[PersonaCard] = []
    picked: list[str] = []
    query: str = ""
    collapsed: list[str] = []
    providers: list[ProviderOption] = []
    models: list[ModelOption] = []
    provider: str = ""
    model: str = ""
    loaded: bool = False
    starting: bool = False
    _project_id: str = ""

    @rx.var
    def sections(self) -> list[PickerSection]:
        return picker_sections(self.cards, self.query)

    @rx.event
    @user_action
    async def load(self, project_id: str):
        """On opening the tab. The id comes from the project page and is looked up under RLS."""
        if project_id != self._project_id:
            self.picked, self.query, self.collapsed = [], "", []
        self._project_id = project_id
        data = await self._in_tenant(lambda s, c: _read(s, c, project_id))
        self.rows, self.cards, self.providers, self.models = data.rows, data.cards, data.providers, data.models
        known = {c.id for c in data.cards}
        self.picked = [p for p in self.picked if p in known]
        if not self.model:
            self.model, self.provider = data.project_model, catalog.split_ref(data.project_model)[0]
        self.loaded = True

    @rx.event
    def set_query(self, value: str):
        self.query = value

    @rx.event
    def toggle_persona(self, persona_id: str):
        self.picked = toggle(self.picked, persona_id, multiple=True, most=turns.SPEAKERS_MAX)

    @rx.event
    def toggle_section(self, category: str):
        self.collapsed = (
            [c for c in self.collapsed if c != category]
            if category in self.collapsed
            else [
                *self.collapsed,
                category,
            ]
        )

    @rx.event
    def pick_provider(self, provider: str):
        self.provider = provider
        self.model = projects.default_model_of(provider, [m.ref for m in self.models])

    @rx.event
    def pick_model(self, ref: str):
        self.model = ref

    @rx.event
    @user_action(form="new-discussion")  # a refusal shows in the form, beside Start
    async def start(self, form: dict[str, str]):
        project_id, picked, model = self._project_id, list(self.picked), self.model
        self.starting = True
        try:
            discussion = await self._in_tenant(
                lambda s, c: turns.create_discussion(
                    s,
                    c,
                    project_id,
                    question=form.get("question", ""),
                    persona_ids=picked,
                    model=model,
                    title=form.get("title", ""),
                )
            )
        finally:
            self.starting = False
        self.picked = []
        return rx.redirect(routes.discussion_url(project_id, str(discussion.id)))


def _row_view(r: DiscussionRow) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon("messages-square", size=18, color="var(--accent-9)"),
                rx.vstack(
                    rx.text(r.title, weight="medium", class_name="discussion-title"),
                    rx.text(r.speakers, size="1", color_scheme="gray"),
                    spacing="0",
                    min_width="0",
                ),
                rx.spacer(),
                rx.cond(r.answering, rx.badge("answering", color_scheme="blue"), rx.fragment()),
                rx.text(
                    r.rounds,
                    rx.cond(r.rounds == 1, " round", " rounds"),
                    size="1",
                    color_scheme="gray",
                    white_space="nowrap",
                ),
                rx.text(r.cost, size="1", color_scheme="gray"),
                rx.text(r.updated, size="1", color_scheme="gray", white_space="nowrap"),
                align="center",
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        href=r.url,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        class_name="discussion-row",
        width="100%",
    )


def _new_discussion() -> rx.Component:
    S = DiscussionsTabState
    return rx.card(
        rx.vstack(
            rx.heading("New discussion", size="4"),
            rx.text(
                "Pick 2 to 5 personas. Each answers in turn and sees the answers before it.",
                size="2",
                color_scheme="gray",
            ),
            # Outside the form: Enter in the picker's search box must not start a discussion.
            persona_picker(
                S.sections,
                S.picked,
                S.collapsed,
                S.query,
                on_query=S.set_query,
                on_toggle=S.toggle_persona,
                on_toggle_section=S.toggle_section,
                multiple=True,
                id="discussion-picker",
            ),
            rx.text(f"{S.picked.length()} of 2-5 chosen", size="1", id="picked-count"),  # type: ignore[attr-defined]
            rx.form(
                rx.vstack(
                    rx.text_area(
                        name="question",
                        placeholder="What should the experts discuss?",
                        rows="4",
                        max_length=QUESTION_MAX,
                        width="100%",
                        id="discussion-question",
                    ),
                    rx.hstack(
                        rx.input(name="title", placeholder="Title (optional)", id="discussion-title", flex="1"),
                        rx.cond(
                            S.providers.length() > 0,  # type: ignore[attr-defined]
                            provider_model_picker(
                                S.providers,
                                S.models,
                                S.provider,
                                S.model,
                                S.pick_provider,
                                S.pick_model,
                                id="discussion-model",
                            ),
                            rx.text(
                                "No provider is set up for this workspace yet: ",
                                rx.link("add a key in Providers", href=routes.PROVIDERS),
                                ".",
                                size="2",
                                color_scheme="gray",
                            ),
                        ),
                        width="100%",
                        align="center",
                        wrap="wrap",
                    ),
                    form_error("new-discussion"),
                    rx.button(
                        rx.icon("play", size=14),
                        "Start discussion",
                        type="submit",
                        loading=S.starting,
                        disabled=S.providers.length() == 0,  # type: ignore[attr-defined]
                        id="start-discussion",
                    ),
                    width="100%",
                    spacing="3",
                ),
                on_submit=S.start,
                width="100%",
            ),
            width="100%",
            spacing="3",
        ),
        width="100%",
    )


def discussions_tab(project_id: rx.Var[str]) -> rx.Component:
    """The tab's content; loads itself whenever it is shown (each time the tab opens)."""
    S = DiscussionsTabState
    return rx.vstack(
        error_callout(S.error, id="discussions-error"),
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.cond(
                    S.rows.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(rx.foreach(S.rows, _row_view), width="100%", spacing="2", id="discussion-list"),
                    empty_state(
                        "messages-square",
                        "No discussions yet",
                        "Ask two to five personas a question: each answers in turn, then the best approach "
                        "and an implementation plan can follow.",
                        rx.button(
                            rx.icon("message-circle-plus", size=14),
                            "Start a discussion",
                            on_click=rx.scroll_to("discussion-question"),  # type: ignore[arg-type]
                            id="no-discussions-start",
                        ),
                        rx.link(rx.button("Manage personas", variant="soft"), href=routes.PERSONAS),
                        id="no-discussions",
                    ),
                ),
                _new_discussion(),
                width="100%",
                spacing="4",
            ),
            rx.spinner(),
        ),
        on_mount=S.load(project_id),
        width="100%",
        spacing="3",
    )
