"""Auto-fix and refactor runs (kinds ``code_autofix``, ``code_refactor``) on the one engine.

Three steps: ``detect`` (a model step: the issues as a JSON list checked against a schema — a
hostile answer fails the step in words), ``select`` (a review step: the run waits, no worker holds
it, while the user selects issues; ``select_issues`` approves it with the selection) and ``fix``
(a TOOL step, ``code_fix``: per selected issue, the model's search/replace edits to the issue's
file become a unified diff checked by ``git apply --check`` against the run's commit; an edit that
does not match is asked for once more with git's or the matcher's words, then reported on that
item — never shown as a broken patch). The model only ever edits the issue's file, and only a file
the sync listed and read (under the scan path, not skipped): a path with ``../`` or outside the
scan path is reported, not read. Live progress, cancel, restart and costs come from the engine.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.queue import defer_run
from nyx_app.db.session import transaction
from nyx_app.integrations import git
from nyx_app.models.code import SourceFile
from nyx_app.models.run import NO_ITEM, Run, RunStatus, StepRun, StepStatus
from nyx_app.services.code import fix_modes, patches, paths
from nyx_app.services.code.fix_modes import FixMode, Mode
from nyx_app.services.code.sources import get_source
from nyx_app.services.context import TenantContext
from nyx_app.services.engine.limits import provider_gate
from nyx_app.services.engine.tools import ToolCall, ToolFailed, ToolResult
from nyx_app.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from nyx_app.services.llm.call import LlmRequest, complete
from nyx_app.services.llm.errors import LlmUnavailable
from nyx_app.services.llm.validators import parse_json
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project
from nyx_app.services.runs import control
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.workflows import schemas
from nyx_app.services.workflows.definition import StepDef, StepKind
from nyx_app.services.workflows.store import reachable_models
from nyx_app.services.workflows.validate import DefinitionInvalid, check

DETECT, SELECT, FIX = "detect", "select", "fix"
CHOSEN_FILES = 20
MAX_SELECTED = 20
TRIES = 2  # the first answer, and one more told why its edits did not fit
FIX_FILE_CHARS = 60_000  # a larger file is not sent whole to the model: reported instead
FIXES_AT_ONCE = 4  # fixes asked for at once (each also holds a slot of the provider's gate)


@dataclass(frozen=True, slots=True)
class Prepared:
    project_id: uuid.UUID
    model: str
    commit: str
    files: list[str]
    reachable: set[str]


async def prepare(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, spec: Mode, files: list[str] | None
) -> Prepared:
    """What a code run of the synced commit needs, checked: the commit, the model, the files
    (``files``, or the first read files of the scan path)."""
    require(ctx, Action.RUN_START)
    project = await get_project(session, ctx, project_id)
    source = await get_source(session, ctx, project.id)
    if source is None or not source.commit_sha:
        raise InvalidInput(f"Sync the project's repository first (Sources page): {spec.name} reads its files.")
    reachable = set(await reachable_models(session, ctx))
    if project.llm_model not in reachable:
        raise InvalidInput(
            f"This project's model ({project.llm_model}) is not available to the workspace: add its provider in "
            "Settings → Providers, or choose another model in the project's settings."
        )
    readable = select(SourceFile.path).where(SourceFile.source_id == source.id, SourceFile.skipped == "")
    if files:
        chosen = list((await session.exec(readable.where(col(SourceFile.path).in_(files[:CHOSEN_FILES])))).all())
        if missing := sorted(set(files[:CHOSEN_FILES]) - set(chosen)):
            raise InvalidInput(f"Not a readable file of the synced repository: {', '.join(missing[:5])}.")
    else:
        chosen = list((await session.exec(readable.order_by(col(SourceFile.path)).limit(CHOSEN_FILES))).all())
    return Prepared(project.id, project.llm_model, source.commit_sha, chosen, reachable)


async def create(
    session: AsyncSession, ctx: TenantContext, spec: Mode, ready: Prepared, steps: list[dict[str, Any]], tool: StepDef
) -> Run:
    """The run: its model steps checked like a workflow's, then its built-in ``tool`` step (a
    person's workflow may not name built-ins), behind the one-per-project guard."""
    try:
        definition = check({"steps": steps}, ready.reachable)
    except DefinitionInvalid as invalid:
        raise InvalidInput(" ".join(dict.fromkeys(p.message for p in invalid.problems))) from None
    definition.steps.append(tool)
    await check_can_start(session, spec.kind, ready.project_id, None)
    return await control.create_run(
        session, ctx, project_id=ready.project_id, kind=spec.kind, title=f"{spec.name} at {ready.commit[:12]}",
        definition=definition,
        inputs={"commit": ready.commit, "files": ready.files, "model": ready.model, "mode": spec.kind.value},
    )  # fmt: skip


async def start(
    session: AsyncSession,
    ctx: TenantContext,
    project_id: str | uuid.UUID,
    mode: FixMode,
    files: list[str] | None = None,
) -> Run:
    """An auto-fix (or refactor) run of the synced commit."""
    spec = fix_modes.MODES[FixMode(mode)]
    ready = await prepare(session, ctx, project_id, spec, files)
    steps: list[dict[str, Any]] = [
        {"key": DETECT, "name": f"Find the {spec.noun}s", "prompt": fix_modes.detect_prompt(spec),
         "output": "json_list", "output_schema": fix_modes.issue_schema(spec),
         "system": "You are a senior engineer reviewing a codebase you have just been given."},
        {"key": SELECT, "name": f"Select the {spec.noun}s to fix", "kind": "review", "depends_on": [DETECT]},
    ]  # fmt: skip
    tool = StepDef(key=FIX, name=f"Write the {spec.noun}s as patches", kind=StepKind.TOOL, tool="code_fix",
                   depends_on=[SELECT])  # fmt: skip
    return await create(session, ctx, spec, ready, steps, tool)


def mode_of(run: Run) -> Mode:
    spec = fix_modes.BY_KIND.get(run.kind)
    if spec is None:
        raise NotFound("Run not found.")
    return spec


async def fix_run(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> tuple[Run, Mode]:
    """An auto-fix or refactor run of the tenant; any other id (or kind) is not found."""
    run = await control.get_run(session, ctx, run_id)
    return run, mode_of(run)


async def _row(session: AsyncSession, run_id: uuid.UUID, key: str) -> StepRun | None:
    query = select(StepRun).where(StepRun.run_id == run_id, StepRun.key == key, StepRun.item_index == NO_ITEM)
    return (await session.exec(query)).first()


async def select_issues(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, ids: list[int]) -> Run:
    """Go on with the issues numbered ``ids`` (0-based, as listed by ``detect``)."""
    require(ctx, Action.REVIEW)
    run, spec = await fix_run(session, ctx, run_id)
    detect, review = await _row(session, run.id, DETECT), await _row(session, run.id, SELECT)
    issues = detect.output_data if detect is not None and isinstance(detect.output_data, list) else []
    if any(not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(issues) for i in ids):
        raise NotFound(f"That {spec.noun} is not one this run found.")
    if review is None or review.status != StepStatus.WAITING_REVIEW.value:
        raise Conflict(f"This run is not waiting for {spec.noun}s to be selected (someone may have just done it).")
    chosen = sorted(set(ids))
    if not chosen:
        raise InvalidInput(f"Select at least one {spec.noun}, or cancel the run.")
    if len(chosen) > MAX_SELECTED:
        raise InvalidInput(f"Select at most {MAX_SELECTED} {spec.noun}s at once.")
    selected = [{**issues[i], "id": i} for i in chosen]
    review.output = "\n".join(f"- {s['title']} ({s['file']})" for s in selected)
    review.output_data = selected
    review.status, review.reviewed_by, review.finished_at = StepStatus.SUCCEEDED.value, ctx.user_id, utcnow()
    session.add(review)
    run.status = RunStatus.PENDING.value
    session.add(run)
    await session.flush()
    await defer_run(session, str(ctx.tenant_id), str(run.id))
    await notify(session, RUNS_CHANNEL, str(run.id))
    return run


# -- the tool step -------------------------------------------------------------------------------
@dataclass(slots=True)
class Spent:
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)

    def add(self, attempts: list[Any]) -> None:
        for a in attempts:
            self.tokens_in, self.tokens_out = self.tokens_in + a.tokens_in, self.tokens_out + a.tokens_out
            self.cost_usd += a.cost_usd


def _edits_validator(answer: str) -> None:
    # Through the workflows' validator: its registry retrieves nothing (the outbound guard's rule).
    problem = schemas.first_error(fix_modes.EDITS_SCHEMA, parse_json(answer))
    if problem is not None:
        raise ValueError(f"the edits are not in the asked shape: {problem[:200]}")


def _fence(text: str) -> str:
    return "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)


async def _fix_one(
    call: ToolCall, spec: Mode, issue: dict[str, Any], commit: str, readable: set[str], spent: Spent
) -> dict[str, Any]:
    path = str(issue.get("file", ""))
    item = {k: issue.get(k) for k in ("id", "title", "file", "start_line", "end_line", "severity", "category")}
    item.update(explanation=issue.get("explanation", ""), rationale="", patch="", error="")
    if path not in readable:
        item["error"] = f"{path} is not a file the sync read under the scan path: nothing was changed."
        return item
    git_dir = paths.git_dir(call.ctx.tenant_id, call.project_id)
    try:
        text = (await git.run(["cat-file", "blob", "--end-of-options", f"{commit}:{path}"], git_dir=git_dir)).decode()
    except (git.GitError, UnicodeDecodeError):
        item["error"] = f"{path} could not be read at commit {commit[:12]}."
        return item
    if len(text) > FIX_FILE_CHARS:
        item["error"] = f"{path} has more than {FIX_FILE_CHARS:,} characters: too long to fix in one answer."
        return item
    mismatch = ""
    for _ in range(TRIES):
        request = LlmRequest(
            fix_modes.fix_prompt(spec, issue, text, _fence(text), mismatch), model=str(call.inputs.get("model")),
            system=fix_modes.FIX_SYSTEM, validator=_edits_validator, purpose=f"run · {spec.name} fix"[:60],
            limiter=provider_gate(call.ctx.tenant_id),
        )  # fmt: skip
        try:
            result = await complete(call.ctx, request)
        except LlmUnavailable as error:
            spent.add(error.attempts)
            item["error"] = f"No usable answer from the model: {error.message}"
            return item
        except ServiceError as error:
            item["error"] = error.message
            return item
        spent.add(result.attempts)
        answer = parse_json(result.output)
        edits = [patches.Edit(e["search"], e["replace"]) for e in answer["edits"]]
        try:
            new = patches.apply_edits(path, text, edits)
            if new == text:
                raise patches.EditMismatch("The edits leave the file as it is.")
            patch = patches.unified_diff(path, text, new)
            await patches.check_applies(git_dir, commit, patch)
        except patches.EditMismatch as problem:
            mismatch = problem.message
            continue
        item.update(rationale=str(answer["rationale"])[: fix_modes.TEXT_MAX], patch=patch)
        item["_edits"], item["_text"] = edits, text
        return item
    item["error"] = f"The model's edits did not fit the file twice; last: {mismatch}"
    return item


async def fix_tool(call: ToolCall) -> ToolResult:
    commit = str(call.inputs.get("commit", ""))
    async with transaction(call.ctx.tenant_id) as session:
        run = await session.get(Run, call.run_id)
        review = await _row(session, call.run_id, SELECT)
        source = await get_source(session, call.ctx, call.project_id)
        if run is None or review is None or source is None:
            raise ToolFailed("This project no longer has the repository this run read.")
        spec = mode_of(run)
        selected = review.output_data if isinstance(review.output_data, list) else None
        if selected is None:  # approved on the run page, not selected: every issue found
            detect = await _row(session, call.run_id, DETECT)
            found = detect.output_data if detect is not None and isinstance(detect.output_data, list) else []
            selected = [{**i, "id": n} for n, i in enumerate(found[:MAX_SELECTED]) if isinstance(i, dict)]
        wanted = {str(i.get("file")) for i in selected if isinstance(i, dict)}
        readable = set(
            (
                await session.exec(
                    select(SourceFile.path).where(
                        SourceFile.source_id == source.id, SourceFile.skipped == "", col(SourceFile.path).in_(wanted)
                    )
                )
            ).all()
        )
    spent, gate = Spent(), asyncio.Semaphore(FIXES_AT_ONCE)

    async def one(number: int, issue: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            item = await _fix_one(call, spec, issue, commit, readable, spent)
        outcome = "patch checked with git" if item["patch"] else item["error"]
        await call.progress(f"{number}/{len(selected)} {issue.get('title', '')} ({issue.get('file', '')}): {outcome}")
        return item

    await call.progress(f"Writing the fixes of {len(selected)} {spec.noun}s")
    items = list(await asyncio.gather(*(one(n, i) for n, i in enumerate(selected, 1))))
    combined = await _combine(paths.git_dir(call.ctx.tenant_id, call.project_id), commit, items)
    made = sum(1 for i in items if i["patch"])
    summary = f"{made} of {len(items)} {spec.noun}s have a patch that applies to {commit[:12]}."
    return ToolResult(
        summary, {"commit": commit, "items": items, "patch": combined}, tokens_in=spent.tokens_in,
        tokens_out=spent.tokens_out, cost_usd=spent.cost_usd,
    )  # fmt: skip


async def _combine(git_dir: Path, commit: str, items: list[dict[str, Any]]) -> str:
    """One patch of every fix: per file, each fix's edits on top of the ones before (a fix whose
    edits no longer fit after an earlier fix of the same file is reported, not combined)."""
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for item in items:
        edits, text = item.pop("_edits", None), item.pop("_text", None)
        if edits is None or text is None:
            continue
        path = item["file"]
        before.setdefault(path, text)
        try:
            after[path] = patches.apply_edits(path, after.get(path, text), edits)
        except patches.EditMismatch:
            item["patch"] = ""
            item["error"] = "It changes the same lines as an earlier fix of this file: fix it in a run of its own."
    combined = "".join(
        patches.unified_diff(p, before[p], after[p]) for p in before if after.get(p, before[p]) != before[p]
    )
    if combined:
        await patches.check_applies(git_dir, commit, combined)
    return combined


# -- what the results page shows -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FixView:
    run_id: str
    kind: str
    name: str
    noun: str
    status: str
    error: str
    commit: str
    issues: list[dict[str, Any]]  # found (detect), each with its id
    waiting: bool  # waiting for the user's selection
    items: list[dict[str, Any]]  # the fix step's results
    patch: str  # all of them, combined
    pushed: dict[str, Any]


async def view(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> FixView:
    run, spec = await fix_run(session, ctx, run_id)
    rows = {r.key: r for r in await session.exec(select(StepRun).where(StepRun.run_id == run.id))}
    detect, review, fix = rows.get(DETECT), rows.get(SELECT), rows.get(FIX)
    found = detect.output_data if detect is not None and isinstance(detect.output_data, list) else []
    data = fix.output_data if fix is not None and isinstance(fix.output_data, dict) else {}
    return FixView(
        str(run.id), run.kind, spec.name, spec.noun, run.status, run.error, str(run.inputs.get("commit", "")),
        [{**i, "id": n} for n, i in enumerate(found) if isinstance(i, dict)],
        review is not None and review.status == StepStatus.WAITING_REVIEW.value,
        [i for i in data.get("items") or [] if isinstance(i, dict)], str(data.get("patch") or ""),
        dict(run.inputs.get("published") or {}),
    )  # fmt: skip


def combined_patch(found: FixView) -> str:
    """Every checked fix of the run as one ``.patch`` (``git apply`` takes it at the run's commit)."""
    return found.patch


def as_json(found: FixView) -> str:
    return json.dumps(found.items, ensure_ascii=False)
