"""A note's own page: where it is read and edited, with its images (pages/note_gallery.py).

Editing: the editor shows the Markdown beside a live preview rendered on the server by the one
renderer. While typing, each pause sends the text, which renders the preview and keeps a draft
(services/note_drafts.py), so a reload, a crash or a closed tab loses nothing. Saving carries the
version the text was based on: a save after someone else's is a conflict, with the text kept.
A draft written on an older version than the note's is never put in place by itself: the page
says so and lets the user continue with it or discard it.
"""

from __future__ import annotations

import uuid

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.note_cards import time_ago
from nyx_app.components.note_editor import install_script, note_editor
from nyx_app.components.page import not_found_view, page_header
from nyx_app.integrations import markdown
from nyx_app.pages.note_gallery import NoteGalleryState, editor_uploader, gallery_section
from nyx_app.services import enrichment, note_drafts, note_pages, notes, trash
from nyx_app.services.errors import Conflict, NotFound
from nyx_app.services.note_drafts import Draft
from nyx_app.services.notes import NoteDetail
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action
from nyx_app.state.trash import moved


class NoteState(AuthState):
    found: bool = True
    loaded: bool = False
    title: str = ""  # as saved
    content_html: str = ""  # as saved, rendered and sanitised on the server (read mode only)
    version: int = 0
    project_link: str = ""
    project_name: str = ""
    may_delete: bool = False
    # Shown on the project's public page while the project is published; owners and admins decide.
    public: bool = False
    may_publish_note: bool = False
    # "Enrich" (services/enrichment.py): an enrichment still open opens instead of a new one.
    enrichment_link: str = ""
    # The editor: its starting text (the fields are uncontrolled), a key that remounts it with
    # new starting text, the preview, and whether what it holds differs from the saved note.
    editing: bool = False
    editor_key: str = ""
    editor_title: str = ""
    editor_text: str = ""
    preview_html: str = ""
    unsaved: bool = False
    draft_status: str = ""
    restored_when: str = ""  # a draft was put back into the editor at load
    stale_when: str = ""  # a draft older than the saved note waits for a decision
    stale_text: str = ""
    _note_id: str = ""
    _saved_title: str = ""
    _saved_content: str = ""
    _base_version: int = 0  # the version the editor's text is based on
    _title: str = ""
    _content: str = ""
    _stale: Draft | None = None

    def _show(self, note: NoteDetail) -> None:
        self._note_id, self.title, self.version, self.public = str(note.id), note.title, note.version, note.public
        self._saved_title, self._saved_content = note.title, note.content
        self.content_html = markdown.render(note.content)

    def _open_editor(self, title: str, content: str, *, base: int, unsaved: bool) -> None:
        self.editing, self.unsaved, self._base_version = True, unsaved, base
        self.editor_title, self.editor_text, self._title, self._content = title, content, title, content
        self.editor_key = uuid.uuid4().hex  # remount: the fields take the new starting text
        self.preview_html, self.content_html = markdown.render(content), ""
        self.draft_status = "Unsaved changes, kept as a draft" if unsaved else ""

    def _close_editor(self) -> None:
        self.editing, self.unsaved, self.draft_status, self.restored_when = False, False, "", ""
        self.editor_title = self.editor_text = self.preview_html = self._title = self._content = ""
        self.content_html = markdown.render(self._saved_content)

    @rx.event
    @user_action
    async def load(self):
        note_id, project_id = self.note_id, self.project_id  # type: ignore[attr-defined]
        gallery = await self.get_state(NoteGalleryState)
        self.found, self.loaded, self.project_link = True, False, routes.project_url(project_id)
        self.stale_when, self.stale_text, self._stale, self._saved_content = "", "", None, ""
        self._close_editor()
        try:
            page = await self._read_page(lambda s, c: note_pages.note_page(s, c, project_id, note_id))
        except NotFound:
            # Same answer for a deleted note, a random id and another tenant's note.
            self.found, self.loaded, self.title, self.content_html = False, True, "", ""
            gallery.show("", [], False)
            return None
        self._show(page.note)
        self.project_name, self.may_delete = page.project_name, page.may_delete
        self.may_publish_note = page.may_publish
        self.enrichment_link = (
            routes.enrichment_url(project_id, self._note_id, page.open_enrichment) if page.open_enrichment else ""
        )
        gallery.show(self._note_id, page.images, page.may_remove_images, page.vision_problem)
        draft = page.draft
        if draft is not None and draft.base_version == page.note.version:
            self._open_editor(draft.title, draft.content, base=draft.base_version, unsaved=True)
            self.restored_when = time_ago(draft.updated_at)
        elif draft is not None:
            self._stale, self.stale_text, self.stale_when = draft, draft.content, time_ago(draft.updated_at)
        elif not page.note.content:
            self._open_editor(page.note.title, "", base=page.note.version, unsaved=False)  # a new note
        self.loaded = True
        return [install_script(), NoteGalleryState.watch_images]

    @rx.event
    @user_action
    async def enrich(self):
        """Start an enrichment run of the saved note and open its page (live)."""
        note_id, project_id = self._note_id, self.project_id  # type: ignore[attr-defined]
        row = await self._in_tenant(lambda s, c: enrichment.start(s, c, note_id))
        return rx.redirect(routes.enrichment_url(project_id, note_id, str(row.id)))

    @rx.event
    @user_action
    async def set_public(self, public: bool):
        note_id = self._note_id
        note = await self._in_tenant(lambda s, c: notes.set_public(s, c, note_id, public))
        self.public = note.public
        if note.public:
            return toasts.done(
                "The note is public: it shows on the project's public page while the project is published."
            )
        return toasts.done("The note is private again.")

    # --- editing -------------------------------------------------------------------------------

    @rx.event
    def start_edit(self):
        self._open_editor(self._saved_title, self._saved_content, base=self.version, unsaved=False)

    @rx.event
    @user_action
    async def edit_title(self, value: str):
        if self.editing:
            self._title = value
            await self._keep_draft()

    @rx.event
    @user_action
    async def edit_content(self, value: str):
        if self.editing:
            self._content = value
            self.preview_html = markdown.render(value)
            await self._keep_draft()

    async def _keep_draft(self) -> None:
        note_id, title, content, base = self._note_id, self._title, self._content, self._base_version
        changed = (title, content) != (self._saved_title, self._saved_content) or base != self.version
        if changed:
            await self._in_tenant(
                lambda s, c: note_drafts.save_draft(s, c, note_id, title=title, content=content, base_version=base)
            )
        else:  # typed back to what is saved: nothing to keep
            await self._in_tenant(lambda s, c: note_drafts.discard_draft(s, c, note_id))
        self.unsaved = changed
        self.draft_status = "Unsaved changes, kept as a draft" if changed else ""

    @rx.event
    @user_action
    async def save(self, form: dict[str, str]):
        note_id, base = self._note_id, self._base_version
        title, content = form.get("title", ""), form.get("content", "")
        try:
            note = await self._in_tenant(
                lambda s, c: notes.save_note(s, c, note_id, title=title, content=content, base_version=base)
            )
        except Conflict:
            # The editor keeps the text, and so does the draft (with what was just submitted).
            self._title, self._content = title, content
            await self._keep_draft()
            raise
        self._show(NoteDetail.of(note))
        self._close_editor()
        return toasts.done("Note saved")

    @rx.event
    @user_action
    async def cancel_edit(self):
        note_id = self._note_id
        await self._in_tenant(lambda s, c: note_drafts.discard_draft(s, c, note_id))
        self._close_editor()

    @rx.event
    @user_action
    async def use_stale_draft(self):
        """Continue with the older draft: the user chose it, knowing a save replaces the newer text."""
        if self._stale is None:
            return
        draft, self._stale, self.stale_when, self.stale_text = self._stale, None, "", ""
        self._open_editor(draft.title, draft.content, base=self.version, unsaved=True)
        await self._keep_draft()

    @rx.event
    @user_action
    async def discard_stale_draft(self):
        note_id = self._note_id
        await self._in_tenant(lambda s, c: note_drafts.discard_draft(s, c, note_id))
        self._stale, self.stale_when, self.stale_text = None, "", ""

    @rx.event
    @user_action
    async def delete_note(self):
        note_id, back = self._note_id, self.project_link
        binned = await self._in_tenant(lambda s, c: trash.trash_note(s, c, note_id))
        self._close_editor()
        return [moved(binned), rx.redirect(back)]


def _stale_notice() -> rx.Component:
    return rx.cond(
        NoteState.stale_when != "",
        rx.callout.root(
            rx.callout.text(
                "You have unsaved changes from ",
                NoteState.stale_when,
                ", written on an older version of this note; it was saved since (in another tab or by "
                "someone else). Below is the saved note. Continue with your text (saving it replaces the "
                "newer one), or discard it.",
            ),
            rx.el.details(
                rx.el.summary("Show my unsaved text"),
                rx.text_area(value=NoteState.stale_text, read_only=True, rows="8", width="100%", id="stale-text"),
            ),
            rx.hstack(
                rx.button("Continue with my text", size="1", on_click=NoteState.use_stale_draft, id="use-draft"),
                rx.button(
                    "Discard it", size="1", variant="soft", on_click=NoteState.discard_stale_draft, id="discard-draft"
                ),
            ),
            color_scheme="amber",
            id="stale-draft",
        ),
    )


def _cancel_button() -> rx.Component:
    plain = rx.button("Cancel", type="button", variant="soft", on_click=NoteState.cancel_edit, id="cancel-edit")
    asking = rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Cancel", type="button", variant="soft", id="cancel-edit")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Discard your changes?"),
            rx.alert_dialog.description("The note stays as it was last saved; your draft is deleted."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep editing", variant="soft")),
                rx.alert_dialog.action(
                    rx.button(
                        "Discard changes", color_scheme="red", on_click=NoteState.cancel_edit, id="confirm-discard"
                    )
                ),
                justify="end",
            ),
        ),
    )
    return rx.cond(NoteState.unsaved, asking, plain)


def _editor() -> rx.Component:
    gallery = NoteGalleryState
    return rx.vstack(
        rx.cond(
            NoteState.restored_when != "",
            rx.callout(
                rx.text("Your unsaved changes from ", NoteState.restored_when, " are back. Save them or cancel."),
                icon="history",
                size="1",
                id="draft-restored",
            ),
        ),
        note_editor(
            key=NoteState.editor_key,
            title=NoteState.editor_title,
            text=NoteState.editor_text,
            preview_html=NoteState.preview_html,
            unsaved=NoteState.unsaved,
            status=NoteState.draft_status,
            on_title=NoteState.edit_title,
            on_text=NoteState.edit_content,
            on_save=NoteState.save,
            cancel=_cancel_button(),
            uploader=editor_uploader(),
            max_files=gallery.max_files,
            max_bytes=gallery.max_bytes,
        ),
        width="100%",
    )


def _reader() -> rx.Component:
    return rx.vstack(
        _stale_notice(),
        rx.cond(
            NoteState.content_html != "",
            markdown_view(NoteState.content_html, class_name="note-content"),
            rx.text("This note is empty.", color_scheme="gray", id="empty-note"),
        ),
        width="100%",
    )


def _public_switch() -> rx.Component:
    return rx.cond(
        NoteState.may_publish_note,
        rx.text(
            rx.hstack(
                rx.switch(checked=NoteState.public, on_change=NoteState.set_public, id="note-public"),
                rx.text("Public", weight="medium"),
                rx.text("shown on the project's public page while the project is published", color_scheme="gray"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            as_="label",
            size="2",
        ),
        rx.cond(NoteState.public, rx.badge("public", color_scheme="green")),
    )


def _note() -> rx.Component:
    return rx.vstack(
        page_header(
            NoteState.title,
            rx.cond(~NoteState.editing, rx.button("Edit", on_click=NoteState.start_edit, id="edit-note")),
            rx.cond(
                ~NoteState.editing,
                rx.cond(
                    NoteState.enrichment_link != "",
                    rx.link(
                        rx.button(rx.icon("sparkles", size=14), "Open the enrichment", variant="soft"),
                        href=NoteState.enrichment_link,
                        id="open-enrichment",
                    ),
                    rx.button(
                        rx.icon("sparkles", size=14),
                        "Enrich",
                        variant="soft",
                        on_click=NoteState.enrich,
                        id="enrich-note",
                    ),
                ),
            ),
            rx.cond(
                NoteState.may_delete,
                confirm_dialog(
                    "Delete note?",
                    "The note and its images go to the trash for 30 days; Undo puts them back.",
                    NoteState.delete_note,
                    trigger_class="delete-note",
                    confirm_class="confirm-delete-note",
                ),
            ),
            crumbs=[
                ("Projects", routes.DASHBOARD),
                (NoteState.project_name, NoteState.project_link),
                (NoteState.title, ""),
            ],
            id="note-title",
        ),
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("Back to ", NoteState.project_name, size="2")),
            href=NoteState.project_link,
            id="back-to-project",
        ),
        _public_switch(),
        error_callout(NoteState.error),
        rx.cond(NoteState.editing, _editor(), _reader()),
        gallery_section(),
        spacing="4",
        width="100%",
    )


def _not_found() -> rx.Component:
    return not_found_view("Note not found", "It does not exist, or it is not in your current workspace.")


@signed_in_page(section="projects")
def note_page() -> rx.Component:
    return rx.cond(NoteState.found, rx.cond(NoteState.loaded, _note(), rx.spinner()), _not_found())
