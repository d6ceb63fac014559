"""Saved workflows of a project: list, create (blank or from a shipped template), save, duplicate,
delete, export and import as JSON. Every save validates the whole definition; problems are
reported per step so the editor shows each next to the step it concerns."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.run import Run
from nyx_app.models.workflow import WORKFLOW_DESCRIPTION_MAX, WORKFLOW_NAME_MAX, Workflow
from nyx_app.services import audit
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound, ServiceError
from nyx_app.services.llm import catalog
from nyx_app.services.llm.credentials import resolve_all
from nyx_app.services.permissions import Action, require
from nyx_app.services.personas.usage import persona_ids
from nyx_app.services.projects import get_project
from nyx_app.services.runs import deletions
from nyx_app.services.validation import Problems, TextKind, optional_text, parse_id, required_text
from nyx_app.services.workflows import builtin, schemas
from nyx_app.services.workflows.definition import WorkflowDefinition
from nyx_app.services.workflows.validate import DefinitionInvalid, Problem, check, parse_definition, problems

EXPORT_FORMAT = "nyxcore.workflow/1"
IMPORT_MAX_CHARS = 500_000
# An export is {definition: {steps: [{output_schema: …}]}} with a schema at most 32 deep; up to this
# depth a too-deep schema is reported at its step, past it the whole paste is refused.
IMPORT_MAX_DEPTH = 200
IMPORT_TOO_DEEP = f"That is not a workflow export: it is nested more than {IMPORT_MAX_DEPTH} levels deep."


class WorkflowInvalid(ServiceError):
    """The definition has problems; ``problems`` holds each with the step it concerns. ``refused``
    says what did not happen (saving, by default; starting a run of the saved version)."""

    def __init__(self, found: list[Problem], refused: str = "The workflow was not saved") -> None:
        count = len(found)
        super().__init__(f"{refused}: {count} problem{'s' if count != 1 else ''} (marked at the steps they concern).")
        self.problems = found


@dataclass(frozen=True, slots=True)
class WorkflowSummary:
    id: uuid.UUID
    name: str
    description: str
    steps: int
    template: str
    updated_at: datetime
    runs: int
    may_delete: bool = False  # members delete only the workflows they made


async def reachable_models(session: AsyncSession, ctx: TenantContext) -> set[str]:
    """Model refs the tenant can call now: catalog models of its providers, and its endpoints' models."""
    providers = await resolve_all(session, ctx)
    refs = {m.ref for m in catalog.catalog() if m.provider in providers}
    for provider in providers.values():
        refs.update(f"{provider.name}/{m}" for m in provider.models)
    return refs


async def list_workflows(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID
) -> list[WorkflowSummary]:
    project = await get_project(session, ctx, project_id)
    runs = (
        select(Run.workflow_id, func.count().label("n"))
        .where(Run.project_id == project.id)
        .group_by(col(Run.workflow_id))
        .subquery()
    )
    rows = await session.exec(
        select(Workflow, func.coalesce(runs.c.n, 0))
        .outerjoin(runs, runs.c.workflow_id == col(Workflow.id))
        .where(Workflow.project_id == project.id)
        .order_by(col(Workflow.updated_at).desc())
    )
    return [
        WorkflowSummary(
            w.id,
            w.name,
            w.description,
            len(w.definition.get("steps", [])),
            w.template,
            w.updated_at,
            n,
            may_delete=ctx.may(Action.WORKFLOW_DELETE, author_id=w.created_by),
        )
        for w, n in rows
    ]


async def get_workflow(session: AsyncSession, ctx: TenantContext, workflow_id: str | uuid.UUID) -> Workflow:
    workflow = await session.get(Workflow, parse_id(workflow_id, "Workflow"))
    if workflow is None:
        raise NotFound("Workflow not found.")
    return workflow


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Said at the name field of a form that has one (the editor).
        raise InvalidFields(
            {"name": f"This project already has a workflow named {name!r}. Choose another name."}
        ) from None


async def _free_name(session: AsyncSession, project_id: uuid.UUID, wanted: str) -> str:
    taken = set(await session.exec(select(Workflow.name).where(Workflow.project_id == project_id)))
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted} ({n})" in taken:
        n += 1
    return f"{wanted} ({n})"[:WORKFLOW_NAME_MAX]


async def create_workflow(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, *, name: str = "", template: str = ""
) -> Workflow:
    """A new workflow, blank or from a shipped template (the name defaults to the template's)."""
    require(ctx, Action.WORKFLOW_EDIT)
    project = await get_project(session, ctx, project_id)
    if template and template not in builtin.TEMPLATES:
        raise InvalidInput("Unknown template. Pick one from the list.")
    shipped = builtin.TEMPLATES.get(template)
    default_name = shipped.name if shipped else "New workflow"
    name = required_text(
        name or await _free_name(session, project.id, default_name), "Workflow name", WORKFLOW_NAME_MAX
    )
    definition = shipped.definition if shipped else builtin.BLANK
    workflow = Workflow(
        tenant_id=ctx.tenant_id,
        project_id=project.id,
        name=name,
        description=shipped.description if shipped else "",
        definition=parse_definition(definition).model_dump(mode="json"),
        template=template,
        created_by=ctx.user_id,
    )
    session.add(workflow)
    await _flush(session, name)
    return workflow


async def save_workflow(
    session: AsyncSession,
    ctx: TenantContext,
    workflow_id: str | uuid.UUID,
    *,
    name: str,
    description: str,
    definition: dict[str, Any],
) -> Workflow:
    """Validate everything, then save. Raises WorkflowInvalid listing the problems per step."""
    require(ctx, Action.WORKFLOW_EDIT)
    workflow = await get_workflow(session, ctx, workflow_id)
    wrong = Problems()  # both fields' messages at once, each shown at its field
    checked_name = wrong.check("name", required_text, name, "Workflow name", WORKFLOW_NAME_MAX)
    checked_description = wrong.check(
        "description", optional_text, description, "Description", WORKFLOW_DESCRIPTION_MAX, kind=TextKind.PROSE
    )
    wrong.raise_if_any()
    name, description = str(checked_name), str(checked_description)
    try:
        checked = check(definition, await reachable_models(session, ctx), await persona_ids(session))
    except DefinitionInvalid as invalid:
        raise WorkflowInvalid(invalid.problems) from None
    workflow.name, workflow.description = name, description
    workflow.definition = checked.model_dump(mode="json")
    workflow.updated_at = utcnow()
    session.add(workflow)
    await _flush(session, name)
    return workflow


async def check_workflow(session: AsyncSession, ctx: TenantContext, definition: dict[str, Any]) -> list[Problem]:
    """The problems a save would report, without saving (the editor checks as the user types)."""
    try:
        parsed = parse_definition(definition)
    except DefinitionInvalid as invalid:
        return invalid.problems
    return problems(parsed, await reachable_models(session, ctx), await persona_ids(session))


async def duplicate_workflow(session: AsyncSession, ctx: TenantContext, workflow_id: str | uuid.UUID) -> Workflow:
    require(ctx, Action.WORKFLOW_EDIT)
    source = await get_workflow(session, ctx, workflow_id)
    copy = Workflow(
        tenant_id=ctx.tenant_id,
        project_id=source.project_id,
        name=await _free_name(session, source.project_id, f"{source.name} (copy)"[:WORKFLOW_NAME_MAX]),
        description=source.description,
        definition=dict(source.definition),
        template=source.template,
        created_by=ctx.user_id,
    )
    session.add(copy)
    await _flush(session, copy.name)
    return copy


async def delete_workflow(session: AsyncSession, ctx: TenantContext, workflow_id: str | uuid.UUID) -> None:
    """Its runs stay in the history: each keeps the definition it ran with (an active one goes on),
    and no longer points at it. Members delete only the workflows they made; owners and admins any."""
    workflow = await get_workflow(session, ctx, workflow_id)
    require(ctx, Action.WORKFLOW_DELETE, author_id=workflow.created_by)
    await deletions.workflow_deleted(session, workflow.id)
    await audit.record(
        session,
        ctx,
        audit.AuditAction.WORKFLOW_DELETED,
        object_type="workflow",
        object_id=workflow.id,
        object_label=workflow.name,
    )
    await session.delete(workflow)
    await session.flush()


def export_json(workflow: Workflow) -> str:
    payload = {
        "format": EXPORT_FORMAT,
        "name": workflow.name,
        "description": workflow.description,
        "definition": workflow.definition,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


async def import_workflow(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, text: str
) -> Workflow:
    """A workflow from exported JSON. Its shape and graph must be valid; models the workspace
    cannot reach yet are allowed (the editor shows them until fixed)."""
    require(ctx, Action.WORKFLOW_EDIT)
    project = await get_project(session, ctx, project_id)
    if len(text or "") > IMPORT_MAX_CHARS:
        raise InvalidInput(f"That file is too large for a workflow (at most {IMPORT_MAX_CHARS:,} characters).")
    try:
        payload = json.loads(text or "")
    except RecursionError:  # the JSON parser recurses once per bracket: 100,000 of them stop it
        raise InvalidInput(IMPORT_TOO_DEEP) from None
    except ValueError:
        raise InvalidInput("That is not a workflow export: it is not valid JSON.") from None
    if not schemas.depth_within(payload, IMPORT_MAX_DEPTH):
        raise InvalidInput(IMPORT_TOO_DEEP)
    if not isinstance(payload, dict) or payload.get("format") != EXPORT_FORMAT:
        raise InvalidInput("That is not a nyxCore workflow export (its format field is missing or different).")
    definition = payload.get("definition")
    if not isinstance(definition, dict):
        raise InvalidInput("The export has no definition.")
    try:
        checked: WorkflowDefinition = check(definition, None)
    except DefinitionInvalid as invalid:
        raise WorkflowInvalid(invalid.problems) from None
    name = required_text(str(payload.get("name") or "Imported workflow"), "Workflow name", WORKFLOW_NAME_MAX)
    workflow = Workflow(
        tenant_id=ctx.tenant_id,
        project_id=project.id,
        name=await _free_name(session, project.id, name),
        description=optional_text(
            str(payload.get("description") or ""), "Description", WORKFLOW_DESCRIPTION_MAX, kind=TextKind.PROSE
        ),
        definition=checked.model_dump(mode="json"),
        created_by=ctx.user_id,
    )
    session.add(workflow)
    await _flush(session, workflow.name)
    return workflow
