"""Settings → Policy library: upload policy documents (Markdown, text or PDF) tagged by framework,
see each one's passages with their headings, delete them. Passages are searchable and cited by
``{{policies}}`` in workflows (services/policies.py says how uploads are read and bounded).

A refusal (a bad or scanned PDF, a file too large, a PDF built to exhaust readers) is said next to
the upload, with the file's name; nothing is written then.
"""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.image_gallery import rejected_file_summaries
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import empty_state, page_header, section_card
from nyx_app.models.library import PolicyFramework
from nyx_app.services import policies
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.permissions import Action
from nyx_app.settings import get_settings
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

UPLOAD_ID = "policy-upload"


@dataclasses.dataclass
class DocumentRow:
    id: str
    title: str
    framework: str
    facts: str  # "access-control.pdf · 2 pages · 5 passages · Sam · 2026-12-07"
    may_delete: bool


@dataclasses.dataclass
class PassageRow:
    ref: str  # §3
    heading: str
    text: str
    page: str


def _row(d: policies.DocumentView) -> DocumentRow:
    pages = f" · {d.pages} page{'s' if d.pages != 1 else ''}" if d.pages else ""
    facts = f"{d.filename}{pages} · {d.passages} passages · {d.author} · {d.created_at:%Y-%m-%d}"
    return DocumentRow(d.id, d.title, d.framework, facts, d.may_delete)


class PoliciesState(AuthState):
    loaded: bool = False
    documents: list[DocumentRow] = []
    may_upload: bool = False
    framework: str = PolicyFramework.INTERNAL.value
    title: str = ""
    uploading: bool = False
    upload_error: str = ""
    open_id: str = ""
    passages: list[PassageRow] = []

    async def _read(self, change=None) -> None:  # type: ignore[no-untyped-def]
        async def read(s: AsyncSession, c: TenantContext) -> tuple[list[policies.DocumentView], bool]:
            if change is not None:
                await change(s, c)
            return await policies.documents(s, c), c.may(Action.POLICY_UPLOAD)

        docs, self.may_upload = await self._in_tenant(read)
        self.documents, self.loaded = [_row(d) for d in docs], True

    async def _open(self, document_id: str) -> None:
        found = await self._in_tenant(lambda s, c: policies.passages(s, c, document_id))
        self.open_id = document_id
        self.passages = [PassageRow(f"§{p.seq}", p.heading, p.text, f"p. {p.page}" if p.page else "") for p in found]

    @rx.event
    @user_action
    async def load(self):
        self.upload_error, self.open_id, self.passages = "", "", []
        await self._read()
        wanted = self.router.url.query_parameters.get("document", "")
        if wanted:
            try:
                await self._open(str(wanted))
            except (NotFound, InvalidInput):
                self.error = "That policy document does not exist (any more)."
        return None

    @rx.event
    def set_framework(self, value: str):
        self.framework = value

    @rx.event
    def set_title(self, value: str):
        self.title = value

    @rx.event
    def refused(self, rejected: list[dict]):
        """The browser refused the file before sending it (too large): said at the upload."""
        names = ", ".join(str(r.get("name", "")) for r in rejected) or "The file"
        mb = get_settings().policy_max_bytes // 1_048_576
        self.upload_error = f"{names}: larger than {mb} MB; policy documents may be at most {mb} MB."

    @rx.event
    @user_action
    async def upload(self, files: list[rx.UploadFile]):
        self.uploading, self.upload_error = True, ""
        try:
            await self._require()
            if len(files) != 1:
                self.upload_error = "Choose one file (Markdown, text or PDF)."
                return None
            file = files[0]
            data = await file.read(get_settings().policy_max_bytes + 1)
            try:
                read = await policies.read_upload(
                    file.name or "", data, self.framework, self.title, size=getattr(file, "size", None)
                )
            except InvalidInput as refused:
                self.upload_error = refused.message
                return None
            await self._read(lambda s, c: policies.save(s, c, read))
        finally:
            self.uploading = False
        self.title = ""
        return [toasts.done(f"{read.title}: {len(read.passages)} passages"), rx.set_value("policy-title", "")]

    @rx.event
    @user_action
    async def toggle(self, document_id: str):
        if self.open_id == document_id:
            self.open_id, self.passages = "", []
            return
        await self._open(document_id)

    @rx.event
    @user_action
    async def delete(self, document_id: str):
        await self._read(lambda s, c: policies.delete(s, c, document_id))
        if self.open_id == document_id:
            self.open_id, self.passages = "", []
        return toasts.done("Policy document deleted")


S = PoliciesState


def _upload_card() -> rx.Component:
    return section_card(
        "Upload a policy",
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Framework", id="policy-framework"),
                rx.select.content(*[rx.select.item(f.label, value=f.value) for f in PolicyFramework]),
                value=S.framework,
                on_change=S.set_framework,
            ),
            rx.input(
                placeholder="Title (optional: the file's name)",
                on_change=S.set_title,
                id="policy-title",
                max_length=200,
                width="100%",
            ),
            width="100%",
            wrap="wrap",
        ),
        rx.upload(
            rx.button(
                rx.icon("file-up", size=14),
                rx.cond(S.uploading, "Reading…", "Choose a file: Markdown, text or PDF"),
                type="button",
                variant="soft",
            ),
            id=UPLOAD_ID,
            multiple=False,
            max_size=get_settings().policy_max_bytes,
            disabled=S.uploading,
            on_drop=S.upload(rx.upload_files(upload_id=UPLOAD_ID)),  # type: ignore[call-arg]
            on_drop_rejected=S.refused(rejected_file_summaries()),
            border="none",
            padding="0",
        ),
        rx.cond(
            S.upload_error != "",
            rx.callout(S.upload_error, icon="triangle-alert", color_scheme="red", size="1", id="policy-upload-error"),
        ),
        description=(
            f"Split into passages with their headings; at most {get_settings().policy_max_bytes // 1_048_576} MB."
        ),
    )


def _passage(p: PassageRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(p.ref, variant="outline", size="1"),
            rx.text(p.heading, weight="bold", size="2"),
            rx.text(p.page, size="1", color_scheme="gray"),
            spacing="2",
            align="center",
        ),
        rx.text(p.text, size="2", white_space="pre-wrap"),
        class_name="policy-passage",
        padding_y="0.4em",
    )


def _document(d: DocumentRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(d.framework, variant="soft"),
                rx.text(d.title, weight="bold", size="3", class_name="policy-title"),
                rx.spacer(),
                rx.button(
                    rx.cond(S.open_id == d.id, "Hide passages", "Show passages"),
                    size="1",
                    variant="soft",
                    on_click=S.toggle(d.id),
                    class_name="policy-toggle",
                ),
                rx.cond(
                    d.may_delete,
                    confirm_dialog(
                        "Delete policy document?",
                        "Its passages leave search and workflows. This cannot be undone.",
                        S.delete(d.id),
                        trigger_class="delete-policy",
                        confirm_class="confirm-delete-policy",
                    ),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(d.facts, size="1", color_scheme="gray"),
            rx.cond(S.open_id == d.id, rx.vstack(rx.foreach(S.passages, _passage), spacing="1", width="100%")),
            width="100%",
        ),
        class_name="policy-document",
        width="100%",
    )


@signed_in_page
def policies_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Policy library",
            description=(
                "Your workspace's policies (ISO 27001, DSGVO / GDPR, internal). Their passages are searchable, and "
                "workflows cite them with {{policies}}."
            ),
            crumbs=[("Settings", routes.SEARCH_SETTINGS), ("Policy library", "")],
        ),
        error_callout(S.error),
        rx.cond(S.may_upload, _upload_card()),
        rx.cond(
            S.documents.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(S.documents, _document), width="100%", spacing="3", id="policy-list"),
            rx.cond(
                S.loaded,
                empty_state("scroll-text", "No policies yet", "Upload a policy document to search and cite it."),
                rx.spinner(),
            ),
        ),
        width="100%",
        spacing="4",
    )
