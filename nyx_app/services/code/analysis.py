"""Code analysis: a run (kind ``code_analysis``, one model step) that reads the project's
repository map and answers with code patterns — architecture, conventions and risks, each with
the files it concerns. Its finisher replaces the project's patterns with the new ones; each is a
search item (``code_pattern``), so ``{{code_patterns}}`` and note enrichment retrieve them.

Guards (services/runs/guard.py, in the engine): no second analysis of a project while one is
active or one finished less than 3 minutes ago (the message points to its patterns); a run whose
worker died is failed by the engine's sweeps after ``NYX_RUN_STALE_MINUTES`` (10) without a
heartbeat, so an orphan never blocks the next analysis.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.models.code import PATTERN_TITLE_MAX, CodePattern, PatternCategory
from nyx_app.models.run import NO_ITEM, Run, RunKind, StepRun
from nyx_app.services.code.sources import get_source
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.runs import control
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.workflows.store import reachable_models
from nyx_app.services.workflows.validate import DefinitionInvalid, check

STEP_KEY = "patterns"
MAX_PATTERNS = 40
TEXT_MAX = 4_000
SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": MAX_PATTERNS,
    "items": {
        "type": "object",
        "required": ["category", "title", "text", "files"],
        "properties": {
            "category": {"enum": [c.value for c in PatternCategory]},
            "title": {"type": "string", "minLength": 1},
            "text": {"type": "string"},
            "files": {"type": "array", "items": {"type": "string"}},
        },
    },
}
PROMPT = """Analyse the code of the project "{{ project.name }}" from its repository map: the symbols the
rest of the code relies on most, by file.

{{ repo_map }}

Name its code patterns: its architecture (how it is divided and how the parts talk), its
conventions (naming, structure, error handling, tests) and its risks (what is fragile, duplicated
or dangerous). Answer with a JSON array only; each item: {"category": "architecture" | "convention"
| "risk", "title": a short name, "text": what it is and why it matters, "files": the paths it
concerns}."""


async def start(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> Run:
    """An analysis run of the project's synced repository (guarded: see the module's note)."""
    require(ctx, Action.RUN_START)
    project = await get_project(session, ctx, project_id)
    source = await get_source(session, ctx, project.id)
    if source is None or not source.commit_sha:
        raise InvalidInput("Sync the project's repository first (Sources page): the analysis reads its map.")
    reachable = await reachable_models(session, ctx)
    if project.llm_model not in reachable:
        raise InvalidInput(
            f"This project's model ({project.llm_model}) is not available to the workspace: add its provider in "
            "Settings → Providers, or choose another model in the project's settings."
        )
    step = {
        "key": STEP_KEY, "name": "Find the code patterns", "prompt": PROMPT, "output": "json_list",
        "output_schema": SCHEMA, "system": "You are a senior engineer reviewing a codebase you have just been given.",
    }  # fmt: skip
    try:
        definition = check({"steps": [step]}, reachable)
    except DefinitionInvalid as invalid:
        raise InvalidInput(" ".join(dict.fromkeys(p.message for p in invalid.problems))) from None
    await check_can_start(session, RunKind.CODE_ANALYSIS, project.id, None)
    return await control.create_run(
        session, ctx, project_id=project.id, kind=RunKind.CODE_ANALYSIS,
        title=f"Code analysis at {source.commit_sha[:12]}", definition=definition,
        inputs={"commit": source.commit_sha},
    )  # fmt: skip


def _patterns(data: Any) -> list[dict[str, Any]]:
    categories = {c.value for c in PatternCategory}
    found = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or item.get("category") not in categories:
            continue
        title = str(item.get("title") or "").strip()[:PATTERN_TITLE_MAX]
        if not title:
            continue
        files = [str(f)[:500] for f in item.get("files") or [] if isinstance(f, str)][:50]
        found.append({"category": item["category"], "title": title, "text": str(item.get("text") or "")[:TEXT_MAX],
                      "files": files})  # fmt: skip
    return found[:MAX_PATTERNS]


async def save_patterns(session: AsyncSession, run: Run) -> None:
    """Finisher of ``code_analysis`` runs: the project's patterns become this run's. Once."""
    locked = (await session.exec(select(Run).where(Run.id == run.id).with_for_update())).first()
    if locked is None:
        return
    if (await session.exec(select(CodePattern.id).where(CodePattern.run_id == run.id).limit(1))).first():
        return
    step = (
        await session.exec(
            select(StepRun).where(StepRun.run_id == run.id, StepRun.key == STEP_KEY, StepRun.item_index == NO_ITEM)
        )
    ).first()
    if step is None:
        return
    await session.execute(delete(CodePattern).where(col(CodePattern.project_id) == run.project_id))
    session.add_all(
        CodePattern(tenant_id=run.tenant_id, project_id=run.project_id, run_id=run.id, **p)
        for p in _patterns(step.output_data)
    )
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(run.id))


@dataclass(frozen=True, slots=True)
class PatternView:
    category: str
    title: str
    text: str
    files: list[str]


async def patterns(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> list[PatternView]:
    project = await get_project(session, ctx, project_id)
    rows = await session.exec(
        select(CodePattern)
        .where(CodePattern.project_id == project.id)
        .order_by(col(CodePattern.category), col(CodePattern.title))
    )
    return [PatternView(p.category, p.title, p.text, list(p.files)) for p in rows]
