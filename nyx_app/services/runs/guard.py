"""Guards on starting runs, in the engine rather than in pages, so no page can forget them.

A rule per kind of run: which other runs exclude a new one (those of the same workflow, of the
same kind in the same project, or of any discussion kind in the same discussion) and how long
after the last one finished a new one may start.
The check runs under a transaction-scoped advisory lock on the scope, so two clicks at the same
moment cannot both pass it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.queue import advisory_xact_lock
from nyx_app.models.run import ACTIVE_RUN_STATUSES, DISCUSSION_KINDS, REPORT_KINDS, Run, RunKind
from nyx_app.services.errors import Conflict


class Scope(StrEnum):
    WORKFLOW = "workflow"  # one active run per workflow
    PROJECT = "project"  # one active run of this kind per project (e.g. code analysis)
    # One active run per discussion, whatever it does (a round, a synthesis, a plan): each reads
    # the transcript the one before writes. The discussion's id is in the run's inputs.
    DISCUSSION = "discussion"
    NOTE = "note"  # one active run of this kind per note (enrichment); the note's id is in its inputs


@dataclass(frozen=True, slots=True)
class RunRule:
    scope: Scope
    # No new run while the last one of the scope finished less than this long ago.
    cooldown: timedelta = timedelta(0)


RULES: dict[RunKind, RunRule] = {
    RunKind.WORKFLOW: RunRule(Scope.WORKFLOW),
    RunKind.MODEL_COMPARE: RunRule(Scope.WORKFLOW),  # one comparison per workflow at a time
    **{kind: RunRule(Scope.DISCUSSION) for kind in DISCUSSION_KINDS},
    # One executive summary (or dev-log post) being written per project at a time.
    **{kind: RunRule(Scope.PROJECT) for kind in REPORT_KINDS},
    RunKind.NOTE_ENRICHMENT: RunRule(Scope.NOTE),
    # One sync of a project's repository at a time (they share its git directory).
    RunKind.CODE_SYNC: RunRule(Scope.PROJECT),
    # No second code analysis while one runs or one finished less than 3 minutes ago.
    RunKind.CODE_ANALYSIS: RunRule(Scope.PROJECT, cooldown=timedelta(minutes=3)),
}


_BUSY = {
    RunKind.REPORT_SUMMARY: "An executive summary of this project is already being written. "
    "Open its run from the Reports tab to watch it, or cancel it first.",
    RunKind.REPORT_DEVLOG: "A dev-log post of this project is already being written. "
    "Open its run from the Reports tab to watch it, or cancel it first.",
    RunKind.CODE_SYNC: "This project's repository is being synced already. Watch it on the Sources tab, or cancel it.",
    RunKind.CODE_ANALYSIS: "A code analysis of this project is running. Open its run from the Sources page to "
    "watch it, or cancel it first.",
}
# Said when the last run of the scope finished within the cool-down (default: "wait a moment").
_RECENT = {
    RunKind.CODE_ANALYSIS: "The last code analysis of this project finished less than {minutes} minutes ago: "
    "its code patterns are on the Sources page. Start another after that.",
}


async def check_can_start(
    session: AsyncSession,
    kind: RunKind,
    project_id: uuid.UUID,
    workflow_id: uuid.UUID | None,
    rule: RunRule | None = None,
    *,
    discussion_id: uuid.UUID | str | None = None,
    note_id: uuid.UUID | str | None = None,
) -> None:
    """Raise Conflict if a run of this scope is active (or finished within the cool-down)."""
    rule = rule or RULES[kind]
    scoped = select(Run.id).where(Run.project_id == project_id)
    if rule.scope == Scope.DISCUSSION:
        scoped = scoped.where(
            col(Run.kind).in_([k.value for k in DISCUSSION_KINDS]),
            col(Run.inputs)["discussion_id"].astext == str(discussion_id),
        )
        lock = f"run-start:discussion:{discussion_id}"
    elif rule.scope == Scope.NOTE:
        scoped = scoped.where(Run.kind == kind.value, col(Run.inputs)["note_id"].astext == str(note_id))
        lock = f"run-start:note:{note_id}"
    else:
        scoped = scoped.where(Run.kind == kind.value)
        if rule.scope == Scope.WORKFLOW:
            scoped = scoped.where(Run.workflow_id == workflow_id)
        lock = f"run-start:{kind.value}:{project_id}:{workflow_id if rule.scope == Scope.WORKFLOW else ''}"
    await advisory_xact_lock(session, lock)
    active = (await session.exec(scoped.where(col(Run.status).in_([s.value for s in ACTIVE_RUN_STATUSES])))).first()
    if active is not None:
        if rule.scope == Scope.DISCUSSION:
            raise Conflict("This discussion is still answering. Wait until it has finished, or stop it first.")
        if rule.scope == Scope.NOTE:
            raise Conflict("This note is being enriched already. Open that enrichment, or cancel its run first.")
        if kind in _BUSY:
            raise Conflict(_BUSY[kind])
        what = "This workflow" if rule.scope == Scope.WORKFLOW else "A run of this kind"
        raise Conflict(f"{what} is already running in this project. Open the run to watch it, or cancel it first.")
    if rule.cooldown:
        recent = (await session.exec(scoped.where(col(Run.finished_at) > func.now() - rule.cooldown).limit(1))).first()
        if recent is not None:
            minutes = int(rule.cooldown.total_seconds() // 60)
            default = (
                "A run of this kind finished less than {minutes} minutes ago; wait a moment before starting another."
            )
            raise Conflict(_RECENT.get(kind, default).format(minutes=minutes))
