"""A discussion: the transcript, streaming live while the personas answer, and what comes next
(a follow-up round, the best approach, an implementation plan saved as a note).

The work runs server-side on the run engine; this page only watches. A background event started
from on_load reads the discussion, then waits for a NOTIFY about the run that is answering (or,
when none is, about the discussion itself) and reads again. Closing the tab loses nothing:
reopened, the page reads the truth and catches up. Model text is shown as plain text (pre-wrap),
never as HTML or Markdown, until the app's one Markdown component lands.
"""

from __future__ import annotations

import asyncio
import contextlib

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.discussion_message import MessageCard, SpeakerChip, message, message_card, speaker_chip
from nyx_app.components.fields import field, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import not_found_view, page_header
from nyx_app.components.persona_card import portrait
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live.hub import hub
from nyx_app.live.sessions import sessions
from nyx_app.models.discussion import DISCUSSION_TITLE_MAX, QUESTION_MAX
from nyx_app.services.context import TenantContext
from nyx_app.services.discussions import plan_note, store, turns
from nyx_app.services.discussions.views import DiscussionView, discussion_view
from nyx_app.services.errors import NotFound
from nyx_app.services.validation import parse_id
from nyx_app.state.session import AuthState, user_action

SAFETY_POLL_S = 10.0


class DiscussionState(AuthState):
    found: bool = True
    loaded: bool = False
    title: str = ""
    project_name: str = ""
    project_link: str = ""  # the project's Discussions tab
    project_home: str = ""
    model: str = ""
    speakers: list[SpeakerChip] = []
    messages: list[MessageCard] = []
    answering: bool = False
    can_retry: bool = False
    has_answers: bool = False
    has_synthesis: bool = False
    totals: str = ""
    renaming: bool = False
    _discussion_id: str = ""

    def _show(self, view: DiscussionView) -> None:
        self.found, self.loaded = True, True
        self.title, self.project_name, self.model = view.title, view.project_name, view.model
        self.project_link = routes.project_url(view.project_id, tab="discussions")
        self.project_home = routes.project_url(view.project_id)
        self.speakers = [speaker_chip(s) for s in view.speakers]
        self.messages = [message_card(m, view.project_id) for m in view.messages]
        self.answering, self.can_retry = view.answering, view.can_retry
        self.has_answers, self.has_synthesis = view.has_answers, view.has_synthesis
        self.totals = f"{view.tokens:,} tokens · ${view.cost_usd:.4f}"

    @rx.event
    @user_action
    async def load(self):
        self._discussion_id = self.router.page.params.get("discussion_id", "")
        self.found, self.loaded, self.renaming, self.messages = True, False, False, []
        await self._require()
        return DiscussionState.follow

    @rx.event(background=True)
    async def follow(self):
        """Read, then wait for a change of the answering run (or of the discussion), read again."""
        async with self:
            token, discussion_id = self._session_token(), self._discussion_id
            project_id = self.router.page.params.get("project_id", "")
        watched, changed = "", asyncio.Event()
        # Who is watching is remembered between reads until a login or membership changes.
        async with sessions().watching(), contextlib.AsyncExitStack() as stack:
            while True:
                changed.clear()  # before reading: a change during the read wakes the next wait
                ident = await sessions().resolve(token)
                if ident is None:
                    return self.to_login()
                ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
                try:
                    async with transaction(ctx.tenant_id, ctx.user_id) as session:
                        view = await discussion_view(session, ctx, discussion_id)
                    if view.project_id != project_id:  # a valid id under another project's URL
                        raise NotFound("Discussion not found.")
                except NotFound:
                    async with self:
                        self.found, self.loaded = False, True
                    return None
                async with self:
                    self._show(view)
                want = view.active_run_id or discussion_id
                if want != watched:
                    await stack.aclose()
                    changed = await stack.enter_async_context(hub().watch(RUNS_CHANNEL, want))
                    watched = want
                    continue  # read again now that the watch is in place: nothing slips between
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), SAFETY_POLL_S)

    async def _act(self, action, *args):  # type: ignore[no-untyped-def]
        discussion_id = self._discussion_id
        return await self._in_tenant(lambda s, c: action(s, c, discussion_id, *args))

    @rx.event
    @user_action(form="follow-up")  # a refusal shows under the question
    async def ask(self, form: dict[str, str]):
        await self._act(turns.follow_up, form.get("question", ""))
        self.answering = True

    @rx.event
    @user_action
    async def best_approach(self):
        await self._act(turns.best_approach)
        self.answering = True

    @rx.event
    @user_action
    async def implement(self):
        await self._act(turns.implement)
        self.answering = True

    @rx.event
    @user_action
    async def stop(self):
        await self._act(turns.stop)
        return rx.toast.info("Stopping…")

    @rx.event
    @user_action
    async def retry(self):
        await self._act(turns.retry)
        self.answering = True

    @rx.event
    @user_action
    async def save_note(self, message_id: str):
        """By hand, for a plan whose automatic save did not happen (it is saved once either way)."""
        await self._in_tenant(lambda s, c: plan_note.save_plan(s, c, parse_id(message_id, "Plan")))
        return rx.toast.success("Plan saved as a note")

    @rx.event
    def start_rename(self):
        self.renaming = True

    @rx.event
    def cancel_rename(self):
        self.renaming, self.error, self.field_errors = False, "", {}

    @rx.event
    @user_action(form="rename-discussion")
    async def rename(self, form: dict[str, str]):
        discussion = await self._act(store.rename_discussion, form.get("title", ""))
        self.title, self.renaming = discussion.title, False

    @rx.event
    @user_action
    async def delete(self):
        link = self.project_link
        await self._act(store.delete_discussion)
        return [rx.redirect(link), rx.toast.success("Discussion deleted")]


def _rename_form() -> rx.Component:
    S = DiscussionState
    return rx.form(
        rx.vstack(
            field(
                "Title",
                "title",
                "rename-discussion",
                id="rename-title",
                default_value=S.title,
                max_length=DISCUSSION_TITLE_MAX,
                auto_focus=True,
            ),
            form_error("rename-discussion"),
            rx.hstack(
                rx.button("Save", type="submit", size="2", id="save-title"),
                rx.button(
                    "Cancel", type="button", variant="soft", color_scheme="gray", size="2", on_click=S.cancel_rename
                ),
            ),
            width="100%",
            spacing="2",
        ),
        on_submit=S.rename,
        width="100%",
        max_width="36em",
    )


def _header() -> rx.Component:
    S = DiscussionState
    return rx.vstack(
        page_header(
            S.title,
            rx.button("Rename", size="2", variant="soft", on_click=S.start_rename, id="rename-discussion"),
            confirm_dialog(
                "Delete discussion?",
                "Its messages and runs are deleted; a saved plan note stays. This cannot be undone.",
                S.delete,
                size="2",
                trigger_class="delete-discussion",
                confirm_class="confirm-delete-discussion",
            ),
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (S.project_name, S.project_home),
                ("Discussions", S.project_link),
                (S.title, ""),
            ],
            id="discussion-heading",
        ),
        rx.cond(S.renaming, _rename_form()),
        rx.hstack(
            rx.foreach(
                S.speakers,
                lambda s: rx.hstack(
                    portrait(s.portrait_path, s.avatar, s.name, size="24px"),
                    rx.text(s.name, size="1"),
                    align="center",
                    spacing="1",
                ),
            ),
            rx.spacer(),
            rx.text(S.model, " · ", S.totals, size="1", color_scheme="gray", id="discussion-totals"),
            wrap="wrap",
            spacing="3",
            width="100%",
            align="center",
        ),
        width="100%",
        spacing="2",
    )


def _actions() -> rx.Component:
    S = DiscussionState
    return rx.card(
        rx.vstack(
            rx.form(
                rx.vstack(
                    rx.text_area(
                        name="question",
                        placeholder="Ask a follow-up: every persona answers again, seeing the whole discussion.",
                        rows="3",
                        max_length=QUESTION_MAX,
                        width="100%",
                        id="follow-up-question",
                    ),
                    form_error("follow-up"),
                    rx.hstack(
                        rx.button(
                            rx.icon("message-circle-plus", size=14),
                            "Ask follow-up",
                            type="submit",
                            disabled=S.answering,
                            id="ask-follow-up",
                        ),
                        rx.button(
                            rx.icon("sparkles", size=14),
                            "Best approach",
                            type="button",
                            variant="soft",
                            disabled=S.answering | ~S.has_answers,
                            on_click=S.best_approach,
                            id="best-approach",
                        ),
                        rx.button(
                            rx.icon("hammer", size=14),
                            "Implement",
                            type="button",
                            variant="soft",
                            disabled=S.answering | ~S.has_synthesis,
                            on_click=S.implement,
                            id="implement",
                            title="Turns the best approach into an implementation plan, saved as a note",
                        ),
                        rx.spacer(),
                        rx.cond(
                            S.answering,
                            rx.button(
                                "Stop",
                                type="button",
                                color_scheme="red",
                                variant="soft",
                                on_click=S.stop,
                                id="stop-discussion",
                            ),
                        ),
                        rx.cond(
                            S.can_retry & ~S.answering,
                            rx.button("Retry", type="button", variant="soft", on_click=S.retry, id="retry-discussion"),
                        ),
                        width="100%",
                        wrap="wrap",
                    ),
                    width="100%",
                    spacing="2",
                ),
                on_submit=S.ask,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
    )


def _not_found() -> rx.Component:
    return not_found_view(
        "Discussion not found", "It does not exist (any more), or it is not in your current workspace."
    )


@signed_in_page(section="projects")
def discussion_page() -> rx.Component:
    S = DiscussionState
    return rx.cond(
        S.found,
        rx.cond(
            S.loaded,
            rx.vstack(
                _header(),
                error_callout(S.error),
                rx.vstack(
                    rx.foreach(S.messages, lambda m: message(m, on_save_note=S.save_note)),
                    width="100%",
                    spacing="3",
                    id="transcript",
                ),
                _actions(),
                width="100%",
                spacing="4",
            ),
            rx.center(rx.spinner(), width="100%", padding="2em"),
        ),
        _not_found(),
    )
