"""State of the workflow editor: the steps as small dataclasses, checked by the services as the
user pauses typing, saved whole or not at all, estimated, and started.

Every edit event changes the form and asks ``store.check_workflow`` in one transaction, so the
problems appear at their steps before saving. Saving keeps the user's edits when it is refused.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.components.model_picker import ModelOption, ProviderOption, model_options
from nyx_app.components.persona_card import PersonaCard, to_card
from nyx_app.components.persona_picker import PickerSection, picker_sections, toggle
from nyx_app.components.start_blockers import BlockerRow, blocker_rows
from nyx_app.pages.workflow_form import (
    FORM_FIELDS,
    EstimateView,
    StepForm,
    estimate_view,
    free_key,
    from_definition,
    place_problems,
    to_definition,
)
from nyx_app.pages.workflow_start import start_run
from nyx_app.services import projects
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound
from nyx_app.services.llm import credentials
from nyx_app.services.personas import store as personas
from nyx_app.services.runs import readiness
from nyx_app.services.runs.readiness import Fix, Readiness
from nyx_app.services.workflows import estimate, store
from nyx_app.services.workflows.definition import OutputFormat
from nyx_app.services.workflows.estimate import Estimate
from nyx_app.services.workflows.store import WorkflowInvalid
from nyx_app.services.workflows.validate import Problem
from nyx_app.state.notifications import ASK_PERMISSION_JS
from nyx_app.state.session import AuthState, user_action


async def _estimate_and_readiness(s: AsyncSession, c: TenantContext, workflow_id: str | uuid.UUID):  # type: ignore[no-untyped-def]
    """The estimate (priced with the model that will run) and what stands in the way of starting."""
    workflow = await store.get_workflow(s, c, workflow_id)
    project = await projects.get_project(s, c, workflow.project_id)
    return await estimate.estimate(s, c, workflow.id), await readiness.workflow_readiness(s, c, workflow, project)


class EditorState(AuthState):
    found: bool = True
    loaded: bool = False
    name: str = ""
    saved_name: str = ""  # the page's title and breadcrumb: the name as last saved
    description: str = ""
    steps: list[StepForm] = []
    persona_cards: list[PersonaCard] = []
    persona_query: str = ""
    persona_collapsed: list[str] = []
    picking: int = -1  # the step whose persona is being chosen; -1: the picker is closed
    general_problems: list[str] = []
    save_error: str = ""
    dirty: bool = False
    estimate: EstimateView = EstimateView()
    project_name: str = ""
    project_model: str = ""
    project_link: str = ""  # the project's Workflows tab
    project_home: str = ""
    model_providers: list[ProviderOption] = []
    model_choices: list[ModelOption] = []
    start_error: str = ""
    start_active_url: str = ""
    # Why Start is not possible with the saved version (each with its fix), and the model it uses.
    blockers: list[BlockerRow] = []
    model_label: str = ""
    _workflow: str = ""
    _project: str = ""

    @rx.var
    def step_keys(self) -> list[str]:
        return [s.key for s in self.steps]

    @rx.var
    def list_keys(self) -> list[str]:
        """Steps another can run for each item of: those answering with a JSON list."""
        return [s.key for s in self.steps if s.output == OutputFormat.JSON_LIST.value]

    def _show_readiness(self, found: tuple[Estimate, Readiness]) -> None:
        est, ready = found
        self.estimate = estimate_view(est)
        self.blockers = blocker_rows(ready, self._project, self._workflow, here=Fix.WORKFLOW)
        self.model_label = ready.model.label
        self.project_model = ready.model.ref or "none yet"

    def _show_problems(self, problems: list[Problem]) -> None:
        self.steps, self.general_problems = place_problems(self.steps, problems)

    async def _edited(self, steps: list[StepForm]) -> None:
        """Take the edit, then check the whole definition (the user paused typing)."""
        self.steps, self.dirty = steps, True
        definition = to_definition(steps)
        self._show_problems(await self._in_tenant(lambda s, c: store.check_workflow(s, c, definition)))

    def _step(self, index: int) -> StepForm | None:
        return self.steps[index] if 0 <= index < len(self.steps) else None

    async def _replace(self, index: int, **changes: Any) -> None:
        if (step := self._step(index)) is not None:
            steps = list(self.steps)
            steps[index] = dataclasses.replace(step, **changes)
            await self._edited(steps)

    # -- load ----------------------------------------------------------------------------------
    @rx.event
    @user_action
    async def load(self):
        workflow_id, project_id = self.workflow_id, self.project_id  # type: ignore[attr-defined]  # route args
        self._workflow, self._project = workflow_id, project_id
        self.loaded, self.found, self.dirty = False, True, False
        self.save_error = self.start_error = self.start_active_url = ""

        async def read(s: AsyncSession, c: TenantContext):
            workflow = await store.get_workflow(s, c, workflow_id)
            if str(workflow.project_id) != project_id:  # a valid id under another project's URL
                raise NotFound("Workflow not found.")
            project = await projects.get_project(s, c, workflow.project_id)
            return (
                workflow,
                project,
                await _estimate_and_readiness(s, c, workflow.id),
                await credentials.list_providers(s, c),
                await store.check_workflow(s, c, workflow.definition),  # e.g. an imported model not set up
                [to_card(p) for p in await personas.list_personas(s, c)],
            )

        try:
            workflow, project, est, providers, problems, cards = await self._in_tenant(read)
        except NotFound:
            self.found, self.loaded = False, True
            return
        self.name, self.description = workflow.name, workflow.description
        self.saved_name = workflow.name
        self.steps = from_definition(workflow.definition)
        self._show_problems(problems)
        self._show_readiness(est)
        self.project_name = project.name
        self.project_link = routes.project_url(project_id, tab="workflows")
        self.project_home = routes.project_url(project_id)
        self.model_providers, self.model_choices = model_options(providers)
        self.persona_cards, self.picking = cards, -1
        self.loaded = True

    # -- the persona a step speaks as (one PersonaPicker, opened for one step at a time) ---------
    @rx.var
    def persona_sections(self) -> list[PickerSection]:
        return picker_sections(self.persona_cards, self.persona_query)

    @rx.var
    def persona_selected(self) -> list[str]:
        step = self.steps[self.picking] if 0 <= self.picking < len(self.steps) else None
        return [step.persona] if step is not None and step.persona else []

    @rx.var
    def persona_names(self) -> dict[str, str]:
        return {c.id: f"{c.name} ({c.role})" if c.role else c.name for c in self.persona_cards}

    @rx.event
    def open_persona_picker(self, index: int):
        self.picking, self.persona_query = index, ""

    @rx.event
    def close_persona_picker(self):
        self.picking = -1

    @rx.event
    def persona_picker_changed(self, is_open: bool):
        if not is_open:  # Escape, or a click outside the dialog
            self.picking = -1

    @rx.event
    def set_persona_query(self, value: str):
        self.persona_query = value

    @rx.event
    def toggle_persona_section(self, category: str):
        folded = self.persona_collapsed
        self.persona_collapsed = [c for c in folded if c != category] if category in folded else [*folded, category]

    @rx.event
    @user_action
    async def pick_persona(self, persona_id: str):
        """Single choice: picking the chosen one again clears it."""
        if (step := self._step(self.picking)) is not None:
            chosen = toggle([step.persona] if step.persona else [], persona_id, multiple=False)
            await self._replace(self.picking, persona=chosen[0] if chosen else "")
        self.picking = -1

    @rx.event
    @user_action
    async def clear_persona(self, index: int):
        await self._replace(index, persona="")

    # -- edits ---------------------------------------------------------------------------------
    @rx.event
    def set_name(self, value: str):
        self.name, self.dirty = value, True

    @rx.event
    def set_description(self, value: str):
        self.description, self.dirty = value, True

    @rx.event
    @user_action
    async def set_field(self, index: int, field: str, value: str):
        if field in FORM_FIELDS:
            await self._replace(index, **{field: value})

    @rx.event
    @user_action
    async def set_images(self, index: int, value: bool):
        await self._replace(index, images=bool(value))

    @rx.event
    @user_action
    async def toggle_dep(self, index: int, key: str, checked: bool):
        if (step := self._step(index)) is not None:
            deps = [d for d in step.depends_on if d != key] + ([key] if checked else [])
            await self._replace(index, depends_on=[k for k in self.step_keys if k in deps])

    @rx.event
    def toggle_system(self, index: int):
        if (step := self._step(index)) is not None:
            steps = list(self.steps)
            steps[index] = dataclasses.replace(step, show_system=not step.show_system)
            self.steps = steps

    @rx.event
    @user_action
    async def pick_provider(self, index: int, provider: str):
        ref = projects.default_model_of(provider, [m.ref for m in self.model_choices])
        await self._replace(index, provider=provider, model=ref)

    @rx.event
    @user_action
    async def pick_model(self, index: int, ref: str):
        await self._replace(index, model=ref)

    @rx.event
    @user_action
    async def use_project_model(self, index: int):
        await self._replace(index, model="", provider="")

    @rx.event
    @user_action
    async def add_step(self):
        await self._edited([*self.steps, StepForm(key=free_key(self.steps))])

    @rx.event
    @user_action
    async def remove_step(self, index: int):
        if self._step(index) is not None:
            await self._edited([s for i, s in enumerate(self.steps) if i != index])

    @rx.event
    @user_action
    async def move_step(self, index: int, offset: int):
        target = index + offset
        if self._step(index) is not None and self._step(target) is not None:
            steps = list(self.steps)
            steps[index], steps[target] = steps[target], steps[index]
            await self._edited(steps)

    # -- save and start ------------------------------------------------------------------------
    async def _save(self, s: AsyncSession, c: TenantContext) -> None:
        await store.save_workflow(
            s, c, self._workflow, name=self.name, description=self.description, definition=to_definition(self.steps)
        )

    # The editor's name and description are a form named "workflow": their messages show at them.
    @rx.event
    @user_action(form="workflow")
    async def save(self):
        self.save_error = ""

        async def work(s: AsyncSession, c: TenantContext):
            await self._save(s, c)
            return await _estimate_and_readiness(s, c, self._workflow)

        try:
            found = await self._in_tenant(work)
        except WorkflowInvalid as exc:
            self._show_problems(exc.problems)
            self.save_error = exc.message
            return None
        self._show_problems([])
        self._show_readiness(found)
        self.dirty, self.saved_name = False, self.name.strip()
        return rx.toast.success("Workflow saved")

    @rx.event
    @user_action(form="workflow")
    async def start(self):
        """Start a run of the workflow; unsaved edits are saved first (a run uses the saved one)."""
        self.start_error = self.start_active_url = ""
        dirty, project_id, workflow_id = self.dirty, self._project, self._workflow

        async def work(s: AsyncSession, c: TenantContext):
            if dirty:
                await self._save(s, c)
            return await start_run(s, c, project_id, workflow_id)

        try:
            outcome = await self._in_tenant(work)
        except WorkflowInvalid as exc:
            self._show_problems(exc.problems)
            self.start_error = "Not started: " + exc.message
            return None
        self.dirty = False
        if dirty:
            self.saved_name = self.name.strip()
        if outcome.run_url:  # the browser may tell of the run's end: asked once, at the first start
            return [rx.call_script(ASK_PERMISSION_JS), rx.redirect(outcome.run_url)]
        if outcome.problems:
            self._show_problems(outcome.problems)
        self.start_error, self.start_active_url = outcome.error, outcome.active_url
        return None
