"""A note's enrichment: live while its run retrieves and writes, then the proposal as a diff against
the note as it is now, the sources it drew on (memory entries, workflow insights, code patterns,
consolidation patterns) with why each matched, and Accept / Edit / Discard.

Live like the run page: ``load`` reads once and starts ``watch``, which waits on the run's
notifications (the engine's, and the finisher's when the proposal is saved) and re-reads. Accepting
a proposal over a note saved since the enrichment started is refused with the reason, and the
page then offers "Replace the newer note" (services/enrichment.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import not_found_view, page_header, section_card
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.integrations import markdown
from nyx_app.live.hub import hub
from nyx_app.live.sessions import sessions
from nyx_app.services import enrichment
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, NotFound
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

SAFETY_POLL_S = 10.0
WHY = {"both": "words and meaning", "words": "words", "meaning": "meaning"}
STATUS_TEXT = {
    "running": "Retrieving from the workspace and writing the proposal…",
    "proposed": "Proposal ready: accept it, edit it, or discard it.",
    "accepted": "Accepted: the note was saved with it.",
    "discarded": "Discarded: the note stays as it is.",
    "failed": "The enrichment run did not finish.",
}


@dataclasses.dataclass
class PassageRow:
    ref: str
    title: str
    why: str
    href: str


@dataclasses.dataclass
class GroupRow:
    label: str
    passages: list[PassageRow]
    empty: str


@dataclasses.dataclass
class DiffRow:
    kind: str  # same | add | del
    sign: str
    text: str


def _rows(view: enrichment.EnrichmentView) -> tuple[list[GroupRow], list[DiffRow]]:
    groups = [
        GroupRow(
            g.label,
            [
                PassageRow(
                    str(p.get("ref", "")),
                    str(p.get("title", "")) or "(untitled)",
                    WHY.get(str(p.get("why", "")), str(p.get("why", ""))),
                    routes.knowledge_url(
                        str(p.get("kind", "")),
                        str(p.get("item_id", "")),
                        str(p.get("parent_id", "")),
                        str(p.get("project_id", "") or view.project_id),
                    ),
                )
                for p in g.passages
            ],
            g.empty_reason,
        )
        for g in view.groups
    ]
    diff = [DiffRow(d.kind, {"add": "+", "del": "-"}.get(d.kind, " "), d.text or " ") for d in view.diff]
    return groups, diff


class EnrichmentState(AuthState):
    found: bool = True
    loaded: bool = False
    note_title: str = ""
    project_name: str = ""
    note_url: str = ""
    project_url: str = ""
    run_url: str = ""
    status: str = ""
    status_text: str = ""
    run_error: str = ""
    streamed_html: str = ""
    proposal: str = ""
    note_changed: bool = False
    groups: list[GroupRow] = []
    diff: list[DiffRow] = []
    editing: bool = False
    editor_key: str = ""
    newer_warning: str = ""  # the accept was refused: the note was saved meanwhile
    _id: str = ""
    _run: str = ""
    _gen: int = 0
    _edited: str = ""

    def _show(self, view: enrichment.EnrichmentView) -> None:
        self.note_title, self.status, self.run_error = view.note_title, view.status, view.run_error
        self.project_name = view.project_name
        self.status_text = STATUS_TEXT.get(view.status, view.status)
        self.note_url = routes.note_url(view.project_id, view.note_id)
        self.project_url = routes.project_url(view.project_id)
        self.run_url = routes.run_url(view.project_id, view.run_id)
        self.streamed_html = markdown.render(view.streamed) if view.streamed else ""
        if view.proposal != self.proposal:
            self.proposal = view.proposal
            self._edited, self.editor_key = view.proposal, f"{view.id}-{len(view.proposal)}"
        self.note_changed = view.note_changed
        self.groups, self.diff = _rows(view)
        self._run, self.found, self.loaded = view.run_id, True, True

    async def _read(self, change=None) -> None:  # type: ignore[no-untyped-def]
        enrichment_id = self._id

        async def read(s: AsyncSession, c: TenantContext) -> enrichment.EnrichmentView:
            if change is not None:
                await change(s, c)
            return await enrichment.view(s, c, enrichment_id)

        self._show(await self._in_tenant(read))

    @rx.event
    @user_action
    async def load(self):
        self._id, self._gen = self.enrichment_id, self._gen + 1  # type: ignore[attr-defined]
        self.loaded, self.editing, self.newer_warning, self.proposal = False, False, "", ""
        try:
            await self._read()
        except NotFound:
            self.found, self.loaded = False, True
            return None
        return EnrichmentState.watch

    @rx.event(background=True)
    async def watch(self):
        async with self:
            gen, token, run_id, enrichment_id = self._gen, self._session_token(), self._run, self._id
        async with hub().watch(RUNS_CHANNEL, run_id) as changed, sessions().watching():
            while True:
                changed.clear()
                ident = await sessions().resolve(token)
                if ident is None:
                    return
                ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
                try:
                    async with transaction(ctx.tenant_id, ctx.user_id) as session:
                        view = await enrichment.view(session, ctx, enrichment_id)
                except NotFound:
                    view = None
                except Exception:  # the database away for a moment: the next round tries again
                    view = None
                async with self:
                    if self._gen != gen:
                        return
                    if view is not None:
                        self._show(view)
                    if self.status in ("accepted", "discarded", "failed"):
                        return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=SAFETY_POLL_S)

    @rx.event
    def start_edit(self):
        self.editing = True

    @rx.event
    def edit_text(self, value: str):
        self._edited = value

    async def _accept(self, replace_newer: bool):  # type: ignore[no-untyped-def]
        enrichment_id, text = self._id, self._edited
        try:
            await self._read(lambda s, c: enrichment.accept(s, c, enrichment_id, text, replace_newer=replace_newer))
        except Conflict as refused:
            if refused.message == enrichment.NEWER_VERSION:
                self.newer_warning = refused.message
                await self._read()
                return None
            raise
        self.newer_warning, self.editing = "", False
        return [toasts.done("The note was saved with the enrichment."), rx.redirect(self.note_url)]

    @rx.event
    @user_action
    async def accept(self):
        return await self._accept(False)

    @rx.event
    @user_action
    async def replace_newer(self):
        return await self._accept(True)

    @rx.event
    @user_action
    async def discard(self):
        enrichment_id = self._id
        await self._read(lambda s, c: enrichment.discard(s, c, enrichment_id))
        return toasts.done("Enrichment discarded; the note is unchanged.")


S = EnrichmentState


def _passage(p: PassageRow) -> rx.Component:
    return rx.hstack(
        rx.badge(p.ref, variant="outline", size="1"),
        rx.link(p.title, href=p.href, size="2"),
        rx.badge("matched by ", p.why, size="1", variant="soft"),
        spacing="2",
        align="center",
        wrap="wrap",
        class_name="enrichment-source",
    )


def _group(g: GroupRow) -> rx.Component:
    return rx.vstack(
        rx.text(g.label, weight="bold", size="2"),
        rx.cond(
            g.passages.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(g.passages, _passage), spacing="1"),
            rx.text(g.empty, size="2", color_scheme="gray", class_name="enrichment-empty"),
        ),
        spacing="1",
        class_name="enrichment-group",
    )


def _diff_line(d: DiffRow) -> rx.Component:
    return rx.el.div(
        rx.el.span(d.sign, class_name="diff-sign"), rx.el.span(d.text), class_name="diff-line diff-" + d.kind
    )


def _decision() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.newer_warning != "",
            rx.callout(S.newer_warning, icon="triangle-alert", color_scheme="amber", id="enrichment-newer", size="1"),
            rx.cond(
                S.note_changed,
                rx.callout(
                    "The note was saved again since this enrichment started; the diff is against its newer text.",
                    icon="info",
                    color_scheme="amber",
                    size="1",
                ),
            ),
        ),
        rx.cond(
            S.editing,
            rx.text_area(
                default_value=S.proposal,
                on_change=S.edit_text,
                rows="14",
                width="100%",
                key=S.editor_key,
                id="enrichment-editor",
            ),
        ),
        rx.hstack(
            rx.cond(
                S.newer_warning != "",
                rx.button("Replace the newer note", color_scheme="amber", on_click=S.replace_newer, id="replace-newer"),
                rx.button(rx.icon("check", size=14), "Accept", on_click=S.accept, id="accept-enrichment"),
            ),
            rx.cond(~S.editing, rx.button("Edit", variant="soft", on_click=S.start_edit, id="edit-enrichment")),
            rx.button("Discard", variant="soft", color_scheme="gray", on_click=S.discard, id="discard-enrichment"),
            spacing="2",
            wrap="wrap",
        ),
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header(
            f"Enrich: {S.note_title}",
            rx.link(
                rx.button(rx.icon("play", size=14), "Open the run", variant="soft"), href=S.run_url, id="enrichment-run"
            ),
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (S.project_name, S.project_url),
                (S.note_title, S.note_url),
                ("Enrich", ""),
            ],
            id="enrichment-title",
        ),
        rx.callout(S.status_text, icon="sparkles", size="1", id="enrichment-status"),
        rx.cond(S.run_error != "", rx.callout(S.run_error, icon="triangle-alert", color_scheme="red", size="1")),
        error_callout(S.error),
        section_card(
            "Sources used",
            rx.grid(
                rx.foreach(S.groups, _group), columns=rx.breakpoints(initial="1", md="2"), spacing="3", width="100%"
            ),
            description="What the enrichment retrieved from the workspace, and why each matched.",
            id="enrichment-sources",
        ),
        rx.cond(
            S.proposal != "",
            section_card(
                "Proposed changes",
                rx.el.div(rx.foreach(S.diff, _diff_line), class_name="diff-view", id="enrichment-diff"),
                rx.cond(S.status == "proposed", _decision()),
                description="Against the note as it is now: + added, - removed.",
            ),
            rx.cond(S.streamed_html != "", section_card("Writing…", markdown_view(S.streamed_html))),
        ),
        spacing="4",
        width="100%",
    )


@signed_in_page(section="projects")
def enrichment_page() -> rx.Component:
    return rx.cond(
        S.found,
        rx.cond(S.loaded, _content(), rx.spinner()),
        not_found_view("Enrichment not found", "It does not exist, or it is not in your current workspace."),
    )
