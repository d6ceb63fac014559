"""Personas: the workspace's experts as a grid of cards; create, edit (with a "Suggest" that
shows which keywords decide the specializations), duplicate, delete, and upload a portrait."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.components.fields import field, field_error, form_error
from nyx_app.components.image_gallery import named_upload, refusal_message, rejected_file_summaries
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import empty_state, page_header
from nyx_app.components.persona_card import PersonaCard, persona_card, portrait, to_card
from nyx_app.models.persona import PERSONA_DESCRIPTION_MAX, PERSONA_NAME_MAX, PERSONA_ROLE_MAX
from nyx_app.services.context import TenantContext
from nyx_app.services.personas import portraits, store
from nyx_app.services.personas.store import PersonaInput
from nyx_app.settings import get_settings
from nyx_app.state.session import AuthState, user_action

PORTRAIT_UPLOAD = "persona-portrait"


class PersonasState(AuthState):
    cards: list[PersonaCard] = []
    loaded: bool = False
    editor_open: bool = False
    editing_id: str = ""  # "" while creating a new persona
    f_name: str = ""
    f_role: str = ""
    f_description: str = ""
    f_system_prompt: str = ""
    f_traits: str = ""
    f_specializations: str = ""
    suggestion: list[str] = []  # the extractor's reasons, after "Suggest"
    # The picture of the persona being edited (its portrait route, or the generated avatar).
    editing_portrait: str = ""
    editing_avatar: str = ""
    uploading: bool = False
    # A refused portrait, in words, with the file's (cleaned) name: shown at the upload button.
    portrait_error: str = ""

    async def _reload(self) -> None:
        async def read(s: AsyncSession, c: TenantContext) -> list[PersonaCard]:
            return [to_card(p) for p in await store.list_personas(s, c)]

        self.cards = await self._in_tenant(read)
        editing = next((c for c in self.cards if c.id == self.editing_id), None)
        self._show_picture(editing)

    def _show_picture(self, card: PersonaCard | None) -> None:
        self.editing_portrait = card.portrait_path if card else ""
        self.editing_avatar = card.avatar if card else ""
        self.portrait_error = ""

    @rx.event
    @user_action
    async def load(self):
        self.editor_open = False
        await self._reload()
        self.loaded = True

    def _fill(self, card: PersonaCard | None, system_prompt: str = "") -> None:
        self.editing_id = card.id if card else ""
        self._show_picture(card)
        self.f_name, self.f_role = (card.name, card.role) if card else ("", "")
        self.f_description, self.f_system_prompt = (card.description if card else "", system_prompt)
        self.f_traits = ", ".join(card.traits) if card else ""
        self.f_specializations = ", ".join(card.specializations) if card else ""
        self.suggestion, self.error, self.field_errors = [], "", {}
        self.editor_open = True

    @rx.event
    def open_new(self):
        self._fill(None)

    @rx.event
    @user_action
    async def open_edit(self, persona_id: str):
        persona = await self._in_tenant(lambda s, c: store.get_persona(s, c, persona_id))
        self._fill(to_card(store.view(persona)), persona.system_prompt)

    @rx.event
    def set_editor_open(self, value: bool):
        self.editor_open = value

    @rx.event
    def close_editor(self):
        self.editor_open, self.error, self.field_errors = False, "", {}

    @rx.event
    def set_f_name(self, value: str):
        self.f_name = value

    @rx.event
    def set_f_role(self, value: str):
        self.f_role = value

    @rx.event
    def set_f_description(self, value: str):
        self.f_description = value

    @rx.event
    def set_f_system_prompt(self, value: str):
        self.f_system_prompt = value

    @rx.event
    def set_f_traits(self, value: str):
        self.f_traits = value

    @rx.event
    def set_f_specializations(self, value: str):
        self.f_specializations = value

    @rx.event
    def suggest(self):
        """The extractor's result for what is typed now (nothing saved)."""
        categories, reasons = store.suggest(self.f_description, self.f_system_prompt)
        self.f_specializations = ", ".join(categories)
        self.suggestion = reasons or ["No keyword of any category appears: no specialization."]

    @rx.event
    @user_action(form="persona")  # each refused field's message shows under that field
    async def save(self):
        data = PersonaInput(
            self.f_name, self.f_role, self.f_description, self.f_system_prompt, self.f_traits, self.f_specializations
        )
        editing = self.editing_id
        if editing:
            await self._in_tenant(lambda s, c: store.update_persona(s, c, editing, data))
        else:
            await self._in_tenant(lambda s, c: store.create_persona(s, c, data))
        self.editor_open = False
        await self._reload()
        return rx.toast.success(f"{self.f_name.strip()} saved")

    @rx.event
    @user_action
    async def duplicate(self, persona_id: str):
        copy = await self._in_tenant(lambda s, c: store.duplicate_persona(s, c, persona_id))
        await self._reload()
        return rx.toast.success(f"{copy.name} created")

    @rx.event
    @user_action
    async def delete(self, persona_id: str):
        await self._in_tenant(lambda s, c: store.delete_persona(s, c, persona_id))
        await self._reload()
        return rx.toast.success("Persona deleted")

    @rx.event
    @user_action
    async def upload_portrait(self, files: list[rx.UploadFile]):
        """Judged by decoding (the image workers, before the transaction), never by name; a
        refusal is said at the upload with the file's name. The row and objects change together."""
        self.uploading, self.portrait_error = True, ""
        try:
            await self._require()  # no image work for a signed-out visitor
            if len(files) != 1:
                self.portrait_error = "Choose one image for the portrait."
                return None
            data = await files[0].read(get_settings().upload_max_bytes + 1)
            checked = await portraits.check_portrait_file(files[0].name or "", data)
            if checked.image is None:
                self.portrait_error = f"{checked.name}: {checked.error}"
                return None
            image, persona_id = checked.image, self.editing_id
            await self._in_tenant(lambda s, c: portraits.set_portrait(s, c, persona_id, image))
        finally:
            self.uploading = False
        await self._reload()
        return rx.toast.success("Portrait saved")

    @rx.event
    def portrait_refused(self, rejected: list[dict]):
        """What the browser refused before sending (more than one file, or over the size limit)."""
        self.portrait_error = refusal_message(rejected)

    @rx.event
    @user_action
    async def remove_portrait(self):
        persona_id = self.editing_id
        await self._in_tenant(lambda s, c: portraits.remove_portrait(s, c, persona_id))
        await self._reload()


def _field(label: str, name: str, control: rx.Component, hint: str = "") -> rx.Component:
    """A field of the persona form (``persona-{name}``), its message under it when refused."""
    return field(label, name, "persona", control=control, id=f"persona-{name.replace('_', '-')}", hint=hint)


def _aria(name: str) -> dict[str, Any]:
    error = field_error("persona", name)
    control = f"persona-{name.replace('_', '-')}"
    return {
        "id": control,
        "aria_invalid": rx.cond(error != "", "true", "false"),
        "aria_describedby": f"{control}-error",
        "color_scheme": rx.cond(error != "", "red", "gray"),
    }


def _portrait_section() -> rx.Component:
    return rx.cond(
        PersonasState.editing_id != "",
        rx.hstack(
            portrait(PersonasState.editing_portrait, PersonasState.editing_avatar, PersonasState.f_name, size="72px"),
            rx.vstack(
                named_upload(
                    "Choose a portrait",
                    rx.button(
                        rx.icon("image-up", size=14),
                        rx.cond(PersonasState.uploading, "Uploading…", "Upload portrait"),
                        size="1",
                        variant="soft",
                        type="button",
                    ),
                    id=PORTRAIT_UPLOAD,
                    multiple=False,
                    # No ``accept``: the browser would refuse by name, in silence (a PNG without an
                    # extension, say); the server decodes the file and answers in words.
                    max_size=get_settings().upload_max_bytes,
                    disabled=PersonasState.uploading,
                    on_drop=PersonasState.upload_portrait(rx.upload_files(upload_id=PORTRAIT_UPLOAD)),  # type: ignore[call-arg]
                    on_drop_rejected=PersonasState.portrait_refused(rejected_file_summaries()),
                    border="none",
                    padding="0",
                    class_name="portrait-upload",
                ),
                rx.cond(
                    PersonasState.editing_portrait != "",
                    rx.button(
                        "Use the generated picture",
                        size="1",
                        variant="ghost",
                        type="button",
                        on_click=PersonasState.remove_portrait,
                        id="remove-portrait",
                    ),
                    rx.text("Without an upload, a picture is made from the name.", size="1", color_scheme="gray"),
                ),
                rx.cond(
                    PersonasState.portrait_error != "",
                    rx.text(
                        PersonasState.portrait_error, size="1", color_scheme="red", role="alert", id="portrait-error"
                    ),
                ),
                spacing="1",
            ),
            align="center",
            spacing="3",
        ),
        rx.text("You can add a portrait once the persona is saved.", size="1", color_scheme="gray"),
    )


def _editor() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(PersonasState.editing_id != "", "Edit persona", "New persona")),
            rx.vstack(
                error_callout(PersonasState.error, id="persona-error"),
                form_error("persona", id="persona-form-error"),
                _portrait_section(),
                rx.hstack(
                    _field(
                        "Name",
                        "name",
                        rx.input(
                            value=PersonasState.f_name,
                            on_change=PersonasState.set_f_name,
                            max_length=PERSONA_NAME_MAX,
                            width="100%",
                            **_aria("name"),
                        ),
                    ),
                    _field(
                        "Role",
                        "role",
                        rx.input(
                            value=PersonasState.f_role,
                            on_change=PersonasState.set_f_role,
                            max_length=PERSONA_ROLE_MAX,
                            placeholder="e.g. Security reviewer",
                            width="100%",
                            **_aria("role"),
                        ),
                    ),
                    width="100%",
                    flex_wrap=rx.breakpoints(initial="wrap", sm="nowrap"),
                ),
                _field(
                    "Description",
                    "description",
                    rx.text_area(
                        value=PersonasState.f_description,
                        on_change=PersonasState.set_f_description,
                        max_length=PERSONA_DESCRIPTION_MAX,
                        rows="3",
                        width="100%",
                        **_aria("description"),
                    ),
                ),
                _field(
                    "System prompt",
                    "system_prompt",
                    rx.text_area(
                        value=PersonasState.f_system_prompt,
                        on_change=PersonasState.set_f_system_prompt,
                        rows="6",
                        placeholder="How this expert thinks and answers. Leads every prompt it speaks in.",
                        width="100%",
                        **_aria("system_prompt"),
                    ),
                ),
                _field(
                    "Traits",
                    "traits",
                    rx.input(
                        value=PersonasState.f_traits,
                        on_change=PersonasState.set_f_traits,
                        placeholder="pragmatic, skeptical, …",
                        width="100%",
                        **_aria("traits"),
                    ),
                    "Comma separated.",
                ),
                _field(
                    "Specializations",
                    "specializations",
                    rx.hstack(
                        rx.input(
                            value=PersonasState.f_specializations,
                            on_change=PersonasState.set_f_specializations,
                            placeholder="Leave empty to find them from the texts above",
                            flex="1",
                            min_width="0",
                            **_aria("specializations"),
                        ),
                        rx.button(
                            rx.icon("sparkles", size=14),
                            "Suggest",
                            type="button",
                            variant="soft",
                            on_click=PersonasState.suggest,
                            id="suggest-specializations",
                        ),
                        width="100%",
                    ),
                    "Comma separated. Left empty, the top 3 of 15 categories by keyword count are filled in.",
                ),
                rx.cond(
                    PersonasState.suggestion.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(
                        rx.foreach(
                            PersonasState.suggestion,
                            lambda line: rx.text(line, size="1", color_scheme="gray", class_name="suggestion-reason"),
                        ),
                        spacing="0",
                        id="suggestion",
                    ),
                ),
                rx.hstack(
                    rx.spacer(),
                    rx.button("Cancel", variant="soft", on_click=PersonasState.close_editor),
                    rx.button("Save persona", on_click=PersonasState.save, id="save-persona"),
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="720px",
        ),
        open=PersonasState.editor_open,
        on_open_change=PersonasState.set_editor_open,
    )


def _empty() -> rx.Component:
    return empty_state(
        "drama",
        "No personas yet",
        "A persona is an expert with a role, a system prompt and specializations. Personas speak in "
        "discussions and in workflow steps, and earn experience with every use.",
        rx.button(rx.icon("plus", size=16), "New persona", on_click=PersonasState.open_new, id="no-personas-new"),
        id="no-personas",
    )


@signed_in_page(section="personas")
def personas_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Personas",
            rx.button(
                rx.icon("plus", size=16),
                "New persona",
                on_click=PersonasState.open_new,
                id="new-persona",
                data_shortcut="create",
            ),
            description="The experts of this workspace. They speak in discussions and in workflow steps; every use "
            "earns experience.",
            id="personas-title",
        ),
        rx.cond(~PersonasState.editor_open, error_callout(PersonasState.error)),
        rx.cond(
            PersonasState.loaded,
            rx.cond(
                PersonasState.cards.length() > 0,  # type: ignore[attr-defined]
                rx.grid(
                    rx.foreach(
                        PersonasState.cards,
                        lambda card: persona_card(
                            card,
                            on_edit=PersonasState.open_edit,
                            on_duplicate=PersonasState.duplicate,
                            on_delete=PersonasState.delete,
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", sm="2", md="3"),
                    spacing="4",
                    width="100%",
                    id="persona-grid",
                ),
                _empty(),
            ),
            rx.center(rx.spinner(), width="100%", padding="2em"),
        ),
        _editor(),
        width="100%",
        spacing="4",
    )
