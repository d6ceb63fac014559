"""Note enrichment: "Enrich" on a note starts a run that retrieves what the workspace knows about
it — memory entries, workflow insights, code patterns (none until a repository is imported) and
consolidation patterns — and proposes an enriched note, which the user accepts, edits or discards.

It is a run of the one engine (kind ``note_enrichment``, one step): its retrieval is the engine's
(engine/knowledge.py, the note's text as the query), recorded on the run with why each passage
matched; its progress is live on the run page and the enrichment's page; its finisher
(``save_proposal``) turns the answer into the proposal. The note's version and text at the start
are kept: the page shows the proposal as a diff against the note as it is now, and accepting
over a version saved meanwhile is refused in words until the user says to replace it. The note is
then saved through ``notes.save_note`` (compare-and-set on its version), so even a save landing
between the check and the write is a conflict, never a silent overwrite.
"""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.models.library import EnrichmentStatus, NoteEnrichment
from nyx_app.models.project import NOTE_CONTENT_MAX
from nyx_app.models.run import NO_ITEM, Run, RunKind, RunStatus, StepRun
from nyx_app.services import notes
from nyx_app.services.context import TenantContext
from nyx_app.services.engine.knowledge import SOURCES
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.runs import control
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.validation import parse_id
from nyx_app.services.workflows.store import reachable_models
from nyx_app.services.workflows.templates import literal
from nyx_app.services.workflows.validate import DefinitionInvalid, check

STEP_KEY = "enrich"
# The four sources enrichment draws on (the seed's lesson: it once forgot three of them).
USED = ("memory", "insights", "code_patterns", "patterns")
QUERY_CHARS = 1_500
NOTE_IN_PROMPT_CHARS = 30_000
NEWER_VERSION = (
    "The note was saved again after this enrichment started (by you in another tab, or by someone "
    "else), so the diff below is against the newer text. Accepting replaces it: choose “Replace the "
    "newer note” if that is what you want."
)

_PROMPT = """You enrich a note of the project "{{{{ project.name }}}}" with what its workspace already knows.

# The note: {title}
{content}

# Memory entries
{{{{ memory }}}}

# Workflow insights (approved review findings)
{{{{ insights }}}}

# Code patterns (from the project's imported repository)
{{{{ code_patterns }}}}

# Consolidation patterns (the project's recurring lessons)
{{{{ patterns }}}}

Write the enriched note: keep everything the note says (in its words where they are right), add only
what the material above contributes that is relevant to it, and put the [ref] of what you used
(M1, I2, C1, K1 …) next to each addition. Answer with the enriched note in Markdown only."""


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # same | add | del
    text: str


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """A line diff (Python's difflib): what accepting would change in the note."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [DiffLine("same", t) for t in a[i1:i2]]
            continue
        lines += [DiffLine("del", t) for t in a[i1:i2]]
        lines += [DiffLine("add", t) for t in b[j1:j2]]
    return lines


async def start(session: AsyncSession, ctx: TenantContext, note_id: str | uuid.UUID) -> NoteEnrichment:
    """The enrichment run of a note, and its row (in the caller's transaction)."""
    require(ctx, Action.RUN_START)
    note = await notes.get_note(session, ctx, note_id)
    project = await get_project(session, ctx, note.project_id)
    reachable = await reachable_models(session, ctx)
    if project.llm_model not in reachable:
        raise InvalidInput(
            f"This project's model ({project.llm_model}) is not available to the workspace: add its provider in "
            "Settings → Providers, or choose another model in the project's settings."
        )
    prompt = _PROMPT.format(
        title=literal(note.title), content=literal(note.content[:NOTE_IN_PROMPT_CHARS] or "(the note is empty)")
    )
    step = {
        "key": STEP_KEY,
        "name": "Enrich the note",
        "system": "You are a careful technical editor who adds only relevant, cited context.",
        "prompt": prompt,
    }
    try:
        definition = check({"steps": [step]}, reachable)
    except DefinitionInvalid as invalid:
        raise InvalidInput(" ".join(dict.fromkeys(p.message for p in invalid.problems))) from None
    await check_can_start(session, RunKind.NOTE_ENRICHMENT, project.id, None, note_id=note.id)
    query = f"{note.title}\n{note.content}"[:QUERY_CHARS]
    run = await control.create_run(
        session, ctx, project_id=project.id, kind=RunKind.NOTE_ENRICHMENT, title=f"Enrich: {note.title}"[:200],
        definition=definition, inputs={"note_id": str(note.id), "retrieval_query": query},
    )  # fmt: skip
    enrichment = NoteEnrichment(
        tenant_id=ctx.tenant_id, note_id=note.id, run_id=run.id, base_version=note.version,
        base_title=note.title, base_content=note.content, created_by=ctx.user_id,
    )  # fmt: skip
    session.add(enrichment)
    await session.flush()
    return enrichment


def flat_sources(retrieved: Any) -> list[dict[str, Any]]:
    """The passages a run retrieved, in the order of ``USED`` (then any other name)."""
    if not isinstance(retrieved, dict):
        return []
    names = [n for n in USED if n in retrieved] + [n for n in retrieved if n not in USED]
    return [{**p, "source": n} for n in names for p in retrieved.get(n) or [] if isinstance(p, dict)]


async def save_proposal(session: AsyncSession, run: Run) -> None:
    """Finisher of ``note_enrichment`` runs: the answer becomes the proposal. Once."""
    row = (await session.exec(select(NoteEnrichment).where(NoteEnrichment.run_id == run.id).with_for_update())).first()
    if row is None or row.status != EnrichmentStatus.RUNNING.value:
        return
    step = (
        await session.exec(
            select(StepRun).where(StepRun.run_id == run.id, StepRun.key == STEP_KEY, StepRun.item_index == NO_ITEM)
        )
    ).first()
    if step is None or not step.output.strip():
        return
    row.proposal = step.output.strip()[:NOTE_CONTENT_MAX]
    row.sources = flat_sources(run.inputs.get("retrieved"))
    row.status = EnrichmentStatus.PROPOSED.value
    session.add(row)
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(run.id))


async def get(session: AsyncSession, ctx: TenantContext, enrichment_id: str | uuid.UUID) -> NoteEnrichment:
    row = await session.get(NoteEnrichment, parse_id(enrichment_id, "Enrichment"))
    if row is None:
        raise NotFound("Enrichment not found.")
    return row


async def _proposed(session: AsyncSession, ctx: TenantContext, enrichment_id: str | uuid.UUID) -> NoteEnrichment:
    row = (
        await session.exec(
            select(NoteEnrichment)
            .where(col(NoteEnrichment.id) == parse_id(enrichment_id, "Enrichment"))
            .with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound("Enrichment not found.")
    if row.status != EnrichmentStatus.PROPOSED.value:
        done = {"accepted": "was accepted", "discarded": "was discarded"}.get(row.status, "has no proposal yet")
        raise Conflict(f"This enrichment {done}.")
    return row


async def accept(
    session: AsyncSession,
    ctx: TenantContext,
    enrichment_id: str | uuid.UUID,
    text: str,
    *,
    replace_newer: bool = False,
) -> NoteEnrichment:
    """Save ``text`` (the proposal, possibly edited) as the note. Over a note saved since the
    enrichment started only with ``replace_newer`` (the user was told and agreed)."""
    require(ctx, Action.NOTE_EDIT)
    row = await _proposed(session, ctx, enrichment_id)
    note = await notes.get_note(session, ctx, row.note_id)
    if note.version != row.base_version and not replace_newer:
        raise Conflict(NEWER_VERSION)
    if not text.strip():
        raise InvalidInput("The enriched note is empty; edit it, or discard the enrichment.")
    saved = await notes.save_note(session, ctx, note.id, title=note.title, content=text, base_version=note.version)
    row.status, row.accepted_version = EnrichmentStatus.ACCEPTED.value, saved.version
    row.decided_by, row.decided_at = ctx.user_id, utcnow()
    session.add(row)
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(row.run_id))
    return row


async def discard(session: AsyncSession, ctx: TenantContext, enrichment_id: str | uuid.UUID) -> NoteEnrichment:
    require(ctx, Action.NOTE_EDIT)
    row = await _proposed(session, ctx, enrichment_id)
    row.status, row.decided_by, row.decided_at = EnrichmentStatus.DISCARDED.value, ctx.user_id, utcnow()
    session.add(row)
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(row.run_id))
    return row


@dataclass(frozen=True, slots=True)
class SourceGroup:
    name: str  # memory | insights | code_patterns | patterns
    label: str
    passages: list[dict[str, Any]]
    empty_reason: str  # why none, in words


@dataclass(frozen=True, slots=True)
class EnrichmentView:
    id: str
    note_id: str
    project_id: str
    run_id: str
    note_title: str
    project_name: str
    status: str  # EnrichmentStatus, "failed" when the run failed or was cancelled
    run_status: str
    run_error: str
    streamed: str  # the answer so far, while the run writes it
    proposal: str
    current_content: str
    note_changed: bool  # saved since the enrichment started
    groups: list[SourceGroup]
    diff: list[DiffLine]


_EMPTY = {
    "code_patterns": "none yet: code patterns come from importing the project's repository",
    "patterns": "none found: add consolidation patterns on the project's Insights page",
    "insights": "none found: insights are the approved findings of review steps",
    "memory": "none found",
}


async def view(session: AsyncSession, ctx: TenantContext, enrichment_id: str | uuid.UUID) -> EnrichmentView:
    row = await get(session, ctx, enrichment_id)
    run = await session.get(Run, row.run_id)
    note = await notes.get_note(session, ctx, row.note_id)
    if run is None:
        raise NotFound("Enrichment not found.")
    project = await get_project(session, ctx, note.project_id)
    step = (await session.exec(select(StepRun).where(StepRun.run_id == run.id, StepRun.key == STEP_KEY))).first()
    status = row.status
    if status == EnrichmentStatus.RUNNING.value and run.status in (RunStatus.FAILED.value, RunStatus.CANCELLED.value):
        status = EnrichmentStatus.FAILED.value
    retrieved = run.inputs.get("retrieved") if isinstance(run.inputs.get("retrieved"), dict) else None
    groups = [
        SourceGroup(
            name, SOURCES[name].label, list((retrieved or {}).get(name) or []),
            _EMPTY[name] if retrieved is not None else "retrieving…",
        )
        for name in USED
    ]  # fmt: skip
    proposal = row.proposal
    return EnrichmentView(
        id=str(row.id), note_id=str(note.id), project_id=str(note.project_id), run_id=str(run.id),
        note_title=note.title, project_name=project.name, status=status, run_status=run.status, run_error=run.error,
        streamed=(step.output if step is not None and not proposal else "")[:20_000], proposal=proposal,
        current_content=note.content, note_changed=note.version != row.base_version,
        groups=groups, diff=diff_lines(note.content, proposal) if proposal else [],
    )  # fmt: skip


async def latest_for_note(session: AsyncSession, ctx: TenantContext, note_id: uuid.UUID) -> NoteEnrichment | None:
    """The note's newest enrichment that still waits for the user: proposed, or running (a run
    that failed or was cancelled no longer counts: "Enrich" starts a new one)."""
    stopped = [RunStatus.FAILED.value, RunStatus.CANCELLED.value]
    return (
        await session.exec(
            select(NoteEnrichment)
            .join(Run, col(Run.id) == col(NoteEnrichment.run_id))
            .where(
                NoteEnrichment.note_id == note_id,
                (col(NoteEnrichment.status) == EnrichmentStatus.PROPOSED.value)
                | ((col(NoteEnrichment.status) == EnrichmentStatus.RUNNING.value) & col(Run.status).not_in(stopped)),
            )
            .order_by(col(NoteEnrichment.created_at).desc())
            .limit(1)
        )
    ).first()
