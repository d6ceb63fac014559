"""The run report: every step with its model, attempts, tokens, cost and duration, and its output;
for a fan-out over a JSON list (the flagship's plans over its action points) the coverage and the
traceability chain plan → action point → note → image → every LLM attempt. Built from the rows.

The raw record of the run (the run, every step row with its prompt, output and attempts, and the
``llm_call`` rows of its calls) is kept as the report's ``data``, downloadable as JSON.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.llm import LlmCall
from nyx_app.models.note_image import NoteImage
from nyx_app.models.project import Project
from nyx_app.models.run import NO_ITEM, Run, RunStatus, StepRun, StepStatus
from nyx_app.models.tenancy import User
from nyx_app.services.llm.errors import KIND_LABELS
from nyx_app.services.reports.overview import THUMB, Built
from nyx_app.services.reports.text import DASH, demote, duration, fence, inline, money, table, when
from nyx_app.services.workflows.definition import OutputFormat, StepDef, WorkflowDefinition

RECORD_FORMAT = "nyx-run-record/1"


def _seconds(row: StepRun | Run) -> float | None:
    if row.started_at is None:
        return None
    return max(0.0, ((row.finished_at or utcnow()) - row.started_at).total_seconds())


def _json(value: Any) -> Any:
    """JSON-ready: UUIDs, Decimals and datetimes as strings."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _attempts_table(attempts: list[dict[str, Any]]) -> str:
    if not attempts:
        return "*No LLM attempt recorded.*"
    rows = []
    for a in attempts:
        kind = str(a.get("error_kind") or "")
        problem = KIND_LABELS.get(kind, kind)
        message = str(a.get("error_message") or "")
        rows.append(
            [
                str(a.get("attempt_no", "")),
                inline(f"{a.get('provider', '')}/{a.get('model', '')}"),
                inline(str(a.get("status", ""))),
                inline(f"{problem}: {message}" if problem and message else problem or message, 200),
                f"{int(a.get('tokens_in') or 0):,} / {int(a.get('tokens_out') or 0):,}",
                money(a.get("cost_usd") or 0),
                duration((a.get("latency_ms") or 0) / 1000),
            ]
        )
    return table(["#", "Provider / model", "Outcome", "Problem", "Tokens in / out", "Cost", "Latency"], rows)


def _output(step: StepDef, row: StepRun, below: int) -> str:
    if not row.output.strip():
        return f"*No output ({row.status}).*"
    if step.output != OutputFormat.TEXT and row.output_data is not None:
        return fence(json.dumps(row.output_data, indent=2, ensure_ascii=False), "json")
    return demote(row.output.strip(), below)


def _facts(row: StepRun, tokens: int, cost: Decimal, attempts: int, model: str = "") -> str:
    model = inline(model or row.model) or DASH
    return (
        f"**{row.status}** · model {model} · {attempts} LLM attempt{'s' if attempts != 1 else ''} · "
        f"{tokens:,} tokens · {money(cost)} · {duration(_seconds(row))}"
    )


def _notes_line(row: StepRun) -> list[str]:
    lines = []
    if row.error:
        lines.append(f"> **Error:** {inline(row.error, 600)}")
    if row.context_note:
        lines.append(f"> **Context:** {inline(row.context_note, 600)}")
    if row.review_note:
        lines.append(f"> **Review:** {inline(row.review_note, 600)}")
    return lines


def _refs(item: Any, field: str) -> list[str]:
    values = item.get(field) if isinstance(item, dict) else None
    return [str(v).strip("[] ") for v in values or [] if isinstance(v, str)]


def _trace(
    step: StepDef,
    source: StepDef,
    items: list[StepRun],
    sources: dict[str, dict[str, str]],
    images: set[str],
) -> list[str]:
    """plan → action point → notes → images → the plan's LLM attempts, per item."""
    blocks = [f"## Traceability: {inline(step.title)} → {inline(source.title)} → note → image → LLM attempts"]
    for row in items:
        item = row.item if isinstance(row.item, dict) else {}
        n = row.item_index + 1
        lines = [f"### {inline(step.title)} {n}: {inline(row.label, 120)}"]
        point = inline(str(item.get("title") or row.label), 200)
        about = inline(str(item.get("description") or ""), 600)
        lines.append(f"- **From {inline(source.title).lower()}, item {n}:** {point}" + (f" — {about}" if about else ""))
        notes = [
            f"{ref} “{inline(sources[ref]['title'], 120)}”" if ref in sources else f"{ref} (not found)"
            for ref in _refs(item, "notes")
        ]
        lines.append(f"- **Notes:** {', '.join(notes) or 'none named'}")
        pictures: list[str] = []
        for ref in _refs(item, "images"):
            found = sources.get(ref)
            if found is None:
                pictures.append(f"{ref} (not found)")
            elif found["id"] in images:
                pictures.append(f"{ref} of “{inline(found['title'], 120)}” ![{ref}]({THUMB.format(found['id'])})")
            else:
                pictures.append(f"{ref} of “{inline(found['title'], 120)}” (image since deleted)")
        lines.append(f"- **Images:** {'; '.join(pictures) or 'none named'}")
        lines.append(
            f"- **Outcome:** {row.status}, {int(row.tokens_in + row.tokens_out):,} tokens, {money(row.cost_usd)}"
        )
        lines.append(f"\n**LLM attempts for this {inline(step.title).lower()}:**\n\n{_attempts_table(row.attempts)}")
        blocks.append("\n".join(lines))
    return blocks


def _coverage(step: StepDef, source: StepDef, items: list[StepRun]) -> str:
    done = [r for r in items if r.status == StepStatus.SUCCEEDED.value]
    missing = [inline(r.label, 80) for r in items if r.status != StepStatus.SUCCEEDED.value]
    text = (
        f"**{len(done)} of {len(items)}** {inline(source.title).lower()} have their {inline(step.title).lower()} "
        f"({'complete' if not missing else 'incomplete'})."
    )
    return text + (f" Missing: {', '.join(missing)}." if missing else "")


async def _record(session: AsyncSession, run: Run, rows: list[StepRun], project: Project, starter: str) -> dict:
    call_ids = [c for r in rows for c in r.call_ids]
    calls = (
        list(
            await session.exec(
                select(LlmCall)
                .where(col(LlmCall.call_id).in_(call_ids))
                .order_by(col(LlmCall.created_at), col(LlmCall.attempt_no))
            )
        )
        if call_ids
        else []
    )
    step_fields = ("key", "item_index", "label", "item", "status", "provider", "model", "prompt", "output",
                   "output_data", "error", "attempts", "call_ids", "context_note", "review_note", "tokens_in",
                   "tokens_out", "cost_usd", "started_at", "finished_at")  # fmt: skip
    call_fields = ("call_id", "attempt_no", "purpose", "provider", "model", "status", "error_kind", "error_message",
                   "tokens_in", "tokens_out", "cost_usd", "latency_ms", "created_at")  # fmt: skip
    run_fields = ("id", "title", "kind", "status", "error", "workflow_id", "created_at", "started_at", "finished_at",
                  "tokens_in", "tokens_out", "cost_usd", "definition", "inputs")  # fmt: skip
    return _json(
        {
            "format": RECORD_FORMAT,
            "run": {
                **{f: getattr(run, f) for f in run_fields},
                "project": {"id": project.id, "name": project.name},
                "started_by": starter,
            },
            "steps": [{f: getattr(r, f) for f in step_fields} for r in rows],
            "llm_calls": [{f: getattr(c, f) for f in call_fields} for c in calls],
        }
    )


async def build_run_report(session: AsyncSession, run: Run, project: Project) -> Built:
    rows = list(
        await session.exec(
            select(StepRun).where(StepRun.run_id == run.id).order_by(col(StepRun.key), col(StepRun.item_index))
        )
    )
    starter_row = await session.get(User, run.started_by) if run.started_by else None
    starter = starter_row.name if starter_row else "someone"
    definition = WorkflowDefinition.model_validate(run.definition)
    sources: dict[str, dict[str, str]] = run.inputs.get("sources", {}) if isinstance(run.inputs, dict) else {}
    image_ids = [uuid.UUID(s["id"]) for s in sources.values() if s.get("kind") == "image"]
    present = (
        {str(i) for i in await session.exec(select(NoteImage.id).where(col(NoteImage.id).in_(image_ids)))}
        if image_ids
        else set()
    )
    parents = {r.key: r for r in rows if r.item_index == NO_ITEM}
    items = {k: sorted((r for r in rows if r.key == k and r.item_index != NO_ITEM), key=lambda r: r.item_index)
             for k in parents}  # fmt: skip
    tokens_in, tokens_out = sum(r.tokens_in for r in rows), sum(r.tokens_out for r in rows)
    cost = sum((r.cost_usd for r in rows), Decimal(0))
    attempts = [a for r in rows for a in r.attempts]
    failed_attempts = sum(1 for a in attempts if a.get("status") != "ok")
    end = run.finished_at or (None if RunStatus(run.status).finished else utcnow())
    facts = [
        ("Project", inline(project.name)),
        ("Status", inline(run.status)),
        ("Started by", inline(starter)),
        ("Started", when(run.started_at or run.created_at)),
        ("Finished", when(run.finished_at)),
        ("Duration", duration((end - run.started_at).total_seconds() if run.started_at and end else None)),
        ("Tokens in / out", f"{tokens_in:,} / {tokens_out:,}"),
        ("Cost", money(cost)),
        ("LLM attempts", f"{len(attempts)} ({failed_attempts} failed or skipped)"),
    ]
    parts = [f"# Run report: {inline(run.title)}", "\n".join(f"- **{name}:** {value}" for name, value in facts)]
    if run.error:
        parts.append(f"> **The run ended with an error:** {inline(run.error, 1000)}")
    glance, chapters, traces, coverage = [], [], [], []
    for number, step in enumerate(definition.steps, 1):
        parent = parents.get(step.key)
        if parent is None:
            continue
        mine = items.get(step.key, [])
        step_tokens = sum(r.tokens_in + r.tokens_out for r in [parent, *mine])
        step_cost = sum((r.cost_usd for r in [parent, *mine]), Decimal(0))
        step_attempts = len(parent.attempts) + sum(len(r.attempts) for r in mine)
        model = parent.model or next((r.model for r in mine if r.model), "")
        glance.append(
            [str(number), inline(step.title) + (f" ({len(mine)} items)" if mine else ""), parent.status,
             inline(model) or DASH, str(step_attempts), f"{step_tokens:,}", money(step_cost),
             duration(_seconds(parent))]
        )  # fmt: skip
        chapter = [
            f"### {number}. {inline(step.title)} (`{step.key}`)",
            _facts(parent, step_tokens, step_cost, step_attempts, model),
        ]
        chapter += _notes_line(parent)
        if not mine:
            chapter += ["**LLM attempts**", _attempts_table(parent.attempts), "**Output**", _output(step, parent, 4)]
        for row in mine:
            chapter += [
                f"#### Item {row.item_index + 1}: {inline(row.label, 120)}",
                _facts(row, row.tokens_in + row.tokens_out, row.cost_usd, len(row.attempts)),
            ]
            chapter += [*_notes_line(row), _output(step, row, 5)]
        chapters.append("\n\n".join(chapter))
        source = definition.step(step.for_each) if step.for_each else None
        if source is not None and source.output == OutputFormat.JSON_LIST and mine:
            coverage.append(_coverage(step, source, mine))
            if any(_refs(r.item, "notes") or _refs(r.item, "images") for r in mine):
                traces += _trace(step, source, mine, sources, present)
    header = ["#", "Step", "Status", "Model", "Attempts", "Tokens", "Cost", "Duration"]
    parts += ["## Steps at a glance", table(header, glance)]
    if coverage:
        parts += ["## Coverage", *coverage]
    parts += traces
    parts += ["## Steps and their outputs", *chapters]
    markdown = "\n\n".join(parts) + "\n"
    record = await _record(session, run, rows, project, starter)
    return Built(f"Run report: {run.title}", markdown, record)
