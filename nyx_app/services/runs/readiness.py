"""Before the click: can this run start, and if not, why and where is the fix.

Pages that start runs show these reasons beside a disabled Start button, each with a link to the
place that fixes it (``Fix``: the page maps it to a URL). The start commands refuse with the same
words (``control.start_workflow_run``, the report writers), so what the page said before the click
and what a click would be told never differ. The guard's lock (``guard.check_can_start``) still
decides at the click: two people may click at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.llm import ProviderCredential
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.run import ACTIVE_RUN_STATUSES, Run
from nyx_app.models.workflow import Workflow
from nyx_app.services.context import TenantContext
from nyx_app.services.llm import choice
from nyx_app.services.personas.usage import persona_ids
from nyx_app.services.workflows.definition import StepKind, WorkflowDefinition
from nyx_app.services.workflows.store import reachable_models
from nyx_app.services.workflows.validate import DefinitionInvalid, parse_definition, problems


class Fix(StrEnum):
    """Where the user fixes a reason (the page turns it into a link)."""

    NONE = ""
    PROVIDERS = "providers"  # Settings → Providers
    PROJECT_MODEL = "project_model"  # the project's Settings tab, Model
    WORKFLOW = "workflow"  # the workflow editor
    NOTES = "notes"  # the project's Notes tab
    ACTIVE_RUN = "active_run"  # the run that is still going


FIX_LABELS: dict[Fix, str] = {
    Fix.PROVIDERS: "Add a provider",
    Fix.PROJECT_MODEL: "Choose the project's model",
    Fix.WORKFLOW: "Open the workflow",
    Fix.NOTES: "Add a note",
    Fix.ACTIVE_RUN: "Open the active run",
}


@dataclass(frozen=True, slots=True)
class Blocker:
    message: str
    fix: Fix = Fix.NONE
    run_id: str = ""  # the active run, for Fix.ACTIVE_RUN

    @property
    def fix_label(self) -> str:
        return FIX_LABELS.get(self.fix, "")


@dataclass(frozen=True, slots=True)
class Readiness:
    model: choice.ModelChoice
    blockers: list[Blocker] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blockers


NO_PROVIDER = Blocker(
    "No LLM provider is set up for this workspace yet: add an API key or a local OpenAI-compatible endpoint.",
    Fix.PROVIDERS,
)
NO_NOTES = Blocker(
    "This workflow works from the project's notes and screenshots, and the project has no notes yet. "
    "Add a note (with its screenshots) first.",
    Fix.NOTES,
)


def model_unavailable(ref: str) -> Blocker:
    return Blocker(
        f"This project's model ({ref}) is not available to the workspace: add its provider in "
        "Settings → Providers, or choose another model in the project's settings.",
        Fix.PROJECT_MODEL,
    )


async def _has_provider(session: AsyncSession) -> bool:
    return (await session.exec(select(ProviderCredential.id).limit(1))).first() is not None


async def model_blocker(
    session: AsyncSession, project: Project, reachable: set[str]
) -> tuple[choice.ModelChoice, Blocker | None]:
    """The project's model and, if it cannot be called, the reason."""
    model = await choice.project_model(session, project)
    if not await _has_provider(session):
        return model, NO_PROVIDER
    if model.ref not in reachable:
        return model, model_unavailable(model.ref)
    return model, None


async def notes_blocker(session: AsyncSession, project_id: uuid.UUID, definition: WorkflowDefinition) -> Blocker | None:
    if not any(s.images for s in definition.steps):
        return None
    found = (await session.exec(select(ProjectNote.id).where(ProjectNote.project_id == project_id).limit(1))).first()
    return NO_NOTES if found is None else None


async def project_readiness(session: AsyncSession, ctx: TenantContext, project: Project) -> Readiness:
    """For runs that use the project's model (discussions, written reports)."""
    model, blocker = await model_blocker(session, project, await reachable_models(session, ctx))
    return Readiness(model, [blocker] if blocker else [])


@dataclass(frozen=True, slots=True)
class _ProjectFacts:
    """What every workflow of one project is checked against (read once per page)."""

    reachable: set[str]
    model: choice.ModelChoice
    model_problem: Blocker | None
    personas: set[str]
    has_notes: bool


async def _facts(session: AsyncSession, ctx: TenantContext, project: Project) -> _ProjectFacts:
    reachable = await reachable_models(session, ctx)
    model, problem = await model_blocker(session, project, reachable)
    has_notes = (
        await session.exec(select(ProjectNote.id).where(ProjectNote.project_id == project.id).limit(1))
    ).first() is not None
    return _ProjectFacts(reachable, model, problem, set(await persona_ids(session)), has_notes)


def _blockers(facts: _ProjectFacts, workflow: Workflow, active_run: str) -> list[Blocker]:
    try:
        definition = parse_definition(workflow.definition)
    except DefinitionInvalid:
        return [Blocker("The saved workflow is not valid; fix it in the editor.", Fix.WORKFLOW)]
    blockers: list[Blocker] = []
    uses_project_model = any(s.kind == StepKind.LLM and not s.model for s in definition.steps)
    if facts.model_problem is NO_PROVIDER or (facts.model_problem and uses_project_model):
        blockers.append(facts.model_problem)
    found = problems(definition, facts.reachable, facts.personas)
    if found and facts.model_problem is not NO_PROVIDER:
        count = len(found)
        blockers.append(
            Blocker(f"The workflow has {count} problem{'s' if count != 1 else ''} to fix first.", Fix.WORKFLOW)
        )
    if any(s.images for s in definition.steps) and not facts.has_notes:
        blockers.append(NO_NOTES)
    if active_run:
        blockers.append(
            Blocker(
                "This workflow is already running. Open the run to watch it, or cancel it first.",
                Fix.ACTIVE_RUN,
                active_run,
            )
        )
    return blockers


async def _active_runs(session: AsyncSession, workflow_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.exec(
        select(Run.workflow_id, Run.id).where(
            col(Run.workflow_id).in_(workflow_ids), col(Run.status).in_([s.value for s in ACTIVE_RUN_STATUSES])
        )
    )
    return {wid: str(rid) for wid, rid in rows if wid is not None}


async def workflow_readiness(
    session: AsyncSession, ctx: TenantContext, workflow: Workflow, project: Project
) -> Readiness:
    """Every reason a click on Start would be refused now, in the order a user fixes them."""
    facts = await _facts(session, ctx, project)
    active = await _active_runs(session, [workflow.id])
    return Readiness(facts.model, _blockers(facts, workflow, active.get(workflow.id, "")))


async def project_workflows_readiness(
    session: AsyncSession, ctx: TenantContext, project: Project
) -> dict[str, Readiness]:
    """The readiness of each workflow of a project (the Workflows tab), keyed by workflow id."""
    workflows = list(await session.exec(select(Workflow).where(Workflow.project_id == project.id)))
    facts = await _facts(session, ctx, project)
    active = await _active_runs(session, [w.id for w in workflows])
    return {str(w.id): Readiness(facts.model, _blockers(facts, w, active.get(w.id, ""))) for w in workflows}
