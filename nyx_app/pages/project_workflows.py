"""The project page's Workflows tab: the project's workflows (open, start, duplicate, export,
delete), new ones from a shipped template or blank, and import from exported JSON.

Loaded when the tab is shown (Radix mounts a tab's content only while it is selected).
"""

from __future__ import annotations

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.forms import confirm_delete
from nyx_app.components.image_gallery import named_upload
from nyx_app.components.layout import error_callout
from nyx_app.components.page import empty_state
from nyx_app.components.start_blockers import start_blockers
from nyx_app.pages.workflow_start import start_run
from nyx_app.pages.workflows.rows import TEMPLATE_CARDS, TemplateCard, WorkflowRow, export_filename, read_tab
from nyx_app.services import trash
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.workflows import store
from nyx_app.services.workflows.store import WorkflowInvalid
from nyx_app.state.notifications import ASK_PERMISSION_JS
from nyx_app.state.session import AuthState, user_action
from nyx_app.state.trash import moved

IMPORT_UPLOAD_ID = "workflow-import-upload"


class WorkflowsTabState(AuthState):
    loaded: bool = False
    workflows: list[WorkflowRow] = []
    model_label: str = ""  # the model runs use when a step names none
    import_error: str = ""
    import_problems: list[str] = []
    # A refused start, shown at the row of the workflow it concerns.
    start_for: str = ""
    start_error: str = ""
    start_active_url: str = ""

    def _pid(self) -> str:
        return self.project_id  # type: ignore[attr-defined]  # route arg

    async def _reload(self) -> None:
        pid = self._pid()
        self.workflows, self.model_label = await self._in_tenant(lambda s, c: read_tab(s, c, pid))
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        self.import_error, self.import_problems, self.start_for = "", [], ""
        await self._reload()

    @rx.event
    @user_action
    async def create(self, template: str):
        pid = self._pid()
        workflow = await self._in_tenant(lambda s, c: store.create_workflow(s, c, pid, template=template))
        return rx.redirect(routes.workflow_url(pid, str(workflow.id)))

    @rx.event
    @user_action
    async def duplicate(self, workflow_id: str):
        copy = await self._in_tenant(lambda s, c: store.duplicate_workflow(s, c, workflow_id))
        await self._reload()
        return rx.toast.success(f"Duplicated as “{copy.name}”")

    @rx.event
    @user_action
    async def delete(self, workflow_id: str):
        binned = await self._in_tenant(lambda s, c: trash.trash_workflow(s, c, workflow_id))
        await self._reload()
        return moved(binned)

    @rx.event
    @user_action
    async def export(self, workflow_id: str):
        async def read(s: AsyncSession, c: TenantContext) -> tuple[str, str]:
            workflow = await store.get_workflow(s, c, workflow_id)
            return workflow.name, store.export_json(workflow)

        name, text = await self._in_tenant(read)
        return rx.download(data=text, filename=export_filename(name), mime_type="application/json")

    async def _import(self, text: str):
        self.import_error, self.import_problems = "", []
        pid = self._pid()
        try:
            workflow = await self._in_tenant(lambda s, c: store.import_workflow(s, c, pid, text))
        except WorkflowInvalid as exc:
            self.import_error = exc.message.replace("was not saved", "was not imported")
            self.import_problems = [f"{p.step}: {p.message}" if p.step else p.message for p in exc.problems]
            return None
        except InvalidInput as exc:
            self.import_error = exc.message
            return None
        await self._reload()
        return rx.toast.success(f"Imported as “{workflow.name}”")

    @rx.event
    @user_action
    async def import_pasted(self, form: dict[str, str]):
        return await self._import(form.get("json", ""))

    @rx.event
    @user_action
    async def import_file(self, files: list[rx.UploadFile]):
        await self._require()  # nothing is read for a signed-out visitor
        if len(files) != 1:
            self.import_error, self.import_problems = "Choose one exported workflow file (.json).", []
            return None
        data = await files[0].read(store.IMPORT_MAX_CHARS * 4 + 1)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.import_error, self.import_problems = "That file is not a workflow export: it is not text.", []
            return None
        return await self._import(text)

    @rx.event
    @user_action
    async def start(self, workflow_id: str):
        pid = self._pid()
        self.start_for, self.start_error, self.start_active_url = workflow_id, "", ""
        outcome = await self._in_tenant(lambda s, c: start_run(s, c, pid, workflow_id))
        if outcome.run_url:  # the browser may tell of the run's end: asked once, at the first start
            return [rx.call_script(ASK_PERMISSION_JS), rx.redirect(outcome.run_url)]
        self.start_error, self.start_active_url = outcome.error, outcome.active_url
        return None


def _start_refusal(w: WorkflowRow) -> rx.Component:
    return rx.cond(
        (WorkflowsTabState.start_for == w.id) & (WorkflowsTabState.start_error != ""),
        rx.callout(
            rx.text(
                WorkflowsTabState.start_error,
                rx.cond(
                    WorkflowsTabState.start_active_url != "",
                    rx.link(" Open the active run.", href=WorkflowsTabState.start_active_url, class_name="active-run"),
                ),
            ),
            icon="triangle-alert",
            color_scheme="red",
            size="1",
            class_name="start-error",
        ),
    )


def _workflow_card(w: WorkflowRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(rx.heading(w.name, size="4"), href=w.url, class_name="workflow-link"),
                rx.text(w.meta, size="1", color_scheme="gray", class_name="workflow-meta"),
                align="center",
                flex_wrap="wrap",
            ),
            rx.cond(w.description != "", rx.text(w.description, size="2", color_scheme="gray")),
            rx.hstack(
                rx.button(
                    rx.icon("play", size=14),
                    "Start",
                    size="1",
                    on_click=WorkflowsTabState.start(w.id),
                    class_name="start-workflow",
                    disabled=w.blockers.length() > 0,  # type: ignore[attr-defined]
                ),
                rx.button("Edit", size="1", variant="soft", on_click=rx.redirect(w.url), class_name="edit-workflow"),
                rx.button(
                    "Duplicate",
                    size="1",
                    variant="soft",
                    on_click=WorkflowsTabState.duplicate(w.id),
                    class_name="duplicate-workflow",
                ),
                rx.button(
                    "Export",
                    size="1",
                    variant="soft",
                    on_click=WorkflowsTabState.export(w.id),
                    class_name="export-workflow",
                ),
                rx.cond(
                    w.may_delete,
                    confirm_delete(
                        "Delete workflow?",
                        "The workflow goes to the trash for 30 days. Its runs stay in the project's run history.",
                        WorkflowsTabState.delete(w.id),
                        trigger_class="delete-workflow",
                        confirm_class="confirm-delete-workflow",
                    ),
                ),
                spacing="2",
                flex_wrap="wrap",
            ),
            start_blockers(w.blockers, class_name="start-blockers"),
            _start_refusal(w),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="workflow-row",
    )


def _template_card(t: TemplateCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(t.name, weight="medium"),
            rx.text(t.description, size="1", color_scheme="gray"),
            rx.button(
                rx.icon("plus", size=14),
                f"Create ({t.steps} steps)",
                size="1",
                on_click=WorkflowsTabState.create(t.key),
                id=f"create-{t.key}",
            ),
            spacing="2",
            height="100%",
            justify="between",
        ),
        class_name="template-card",
    )


def _new_section() -> rx.Component:
    blank = rx.card(
        rx.vstack(
            rx.text("Blank workflow", weight="medium"),
            rx.text("One step to start from; add your own.", size="1", color_scheme="gray"),
            rx.button(
                rx.icon("plus", size=14),
                "Create blank",
                size="1",
                on_click=WorkflowsTabState.create(""),
                id="create-blank",
            ),
            spacing="2",
            height="100%",
            justify="between",
        ),
        class_name="template-card",
    )
    return rx.vstack(
        rx.heading("New workflow", size="4", id="new-workflow"),
        rx.grid(
            *[_template_card(t) for t in TEMPLATE_CARDS],
            blank,
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        spacing="2",
    )


def _import_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Import", size="4"),
        rx.text("Paste a workflow exported from nyxCore, or choose its .json file.", size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="json",
                    placeholder='{"format": "nyxcore.workflow/1", …}',
                    rows="4",
                    width="100%",
                    id="import-json",
                    # assets/import_limit.js refuses a larger paste in the browser, before sending.
                    custom_attrs={"data-max-chars": store.IMPORT_MAX_CHARS, "data-too-large": "import-too-large"},
                ),
                rx.text(
                    f"That paste is longer than {store.IMPORT_MAX_CHARS:,} characters, more than a workflow "
                    "export can be: it was not sent. Check that you copied the right file.",
                    id="import-too-large",
                    size="2",
                    color_scheme="red",
                    display="none",
                ),
                rx.button("Import pasted JSON", type="submit", size="1", id="import-pasted"),
                width="100%",
                spacing="2",
            ),
            on_submit=WorkflowsTabState.import_pasted,
            reset_on_submit=True,
            width="100%",
        ),
        named_upload(
            "Choose an exported workflow file",
            rx.hstack(rx.icon("file-up", size=16), rx.text("Choose or drop a .json file", size="2"), align="center"),
            id=IMPORT_UPLOAD_ID,
            multiple=False,
            # No ``accept``: judged by reading the file, never by its name (an export saved
            # without ".json" is still an export; anything else is refused in words).
            on_drop=WorkflowsTabState.import_file(rx.upload_files(upload_id=IMPORT_UPLOAD_ID)),  # type: ignore[call-arg]
            border="1px dashed var(--gray-a7)",
            border_radius="var(--radius-3)",
            padding="0.8em",
            width="100%",
            cursor="pointer",
            class_name="import-drop-zone",
        ),
        rx.cond(
            WorkflowsTabState.import_error != "",
            rx.callout(
                rx.vstack(
                    rx.text(WorkflowsTabState.import_error),
                    rx.foreach(WorkflowsTabState.import_problems, lambda p: rx.text("• ", p, size="1")),
                    spacing="1",
                ),
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                id="import-error",
            ),
        ),
        rx.script(src="/import_limit.js"),
        width="100%",
        spacing="2",
    )


def workflows_tab() -> rx.Component:
    return rx.vstack(
        error_callout(WorkflowsTabState.error, id="workflows-error"),
        rx.cond(
            WorkflowsTabState.model_label != "",
            rx.text(
                "Steps without a model of their own use ",
                rx.code(WorkflowsTabState.model_label, id="workflows-model"),
                ".",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.cond(
            WorkflowsTabState.workflows.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(WorkflowsTabState.workflows, _workflow_card), spacing="2", width="100%"),
            rx.cond(
                WorkflowsTabState.loaded,
                empty_state(
                    "workflow",
                    "No workflows yet",
                    "A workflow is a chain of LLM steps that feed each other, run over this project's notes and "
                    "screenshots. Start from a template below, or with a blank one.",
                    rx.button(
                        rx.icon("layout-template", size=14),
                        "Pick a template",
                        on_click=rx.scroll_to("new-workflow"),  # type: ignore[arg-type]
                        id="no-workflows-templates",
                    ),
                    rx.button(
                        rx.icon("plus", size=14),
                        "New blank workflow",
                        variant="soft",
                        on_click=WorkflowsTabState.create(""),
                        id="no-workflows-blank",
                    ),
                    id="no-workflows",
                ),
                rx.text("Loading workflows…", color_scheme="gray"),
            ),
        ),
        _new_section(),
        _import_section(),
        width="100%",
        spacing="5",
        on_mount=WorkflowsTabState.load,
    )
