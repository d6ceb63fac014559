"""Docs runs (kind ``code_docs``): a README section and module overviews for the scanned code,
kept as a report of the project and offered as a patch.

Two steps on the one engine: ``write`` (a model step over ``{{repo_map}}`` and ``{{files}}``; a
JSON object checked against ``SCHEMA``) and ``fix`` (a TOOL step, ``code_docs``: the section goes
into the scan path's README.md between two markers — replaced there by the next docs run, appended
the first time, the file created if there is none — as a diff ``git apply --check`` accepts at the
run's commit). The finisher saves the text as a report (kind ``docs``). The run's page is the
auto-fix page (services/code/fixes.py ``view``): the diff, the download, push and pull request.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import transaction
from nyx_app.integrations import git
from nyx_app.models.report import Report, ReportKind
from nyx_app.models.run import NO_ITEM, Run, StepRun
from nyx_app.models.tenancy import Role
from nyx_app.services.code import fix_modes, fixes, patches, paths
from nyx_app.services.code.sources import get_source
from nyx_app.services.context import TenantContext
from nyx_app.services.engine.tools import ToolCall, ToolFailed, ToolResult
from nyx_app.services.reports.store import save_report
from nyx_app.services.workflows.definition import StepDef, StepKind

WRITE = "write"
BEGIN, END = "<!-- nyx:docs begin -->", "<!-- nyx:docs end -->"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "readme_section", "modules"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "readme_section": {"type": "string", "minLength": 1, "maxLength": 20_000},
        "modules": {
            "type": "array",
            "maxItems": 30,
            "items": {
                "type": "object",
                "required": ["path", "overview"],
                "properties": {"path": {"type": "string", "maxLength": 500}, "overview": {"type": "string"}},
            },
        },
    },
}
PROMPT = """Write the documentation of the code of the project "{{ project.name }}".

The repository map (the symbols the rest of the code relies on most):
{{ repo_map }}

The files:
{{ files }}

Answer with a JSON object only: {"title": the section's heading, "readme_section": a README section
in Markdown (what the code does, how it is organised, how to use it; no top-level heading),
"modules": [{"path": a folder or file, "overview": what it does and how it fits, in Markdown}]}."""
OVERVIEW_MAX = 4_000


async def start(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, files: list[str] | None = None
) -> Run:
    spec = fix_modes.DOCS
    ready = await fixes.prepare(session, ctx, project_id, spec, files)
    steps: list[dict[str, Any]] = [
        {"key": WRITE, "name": "Write the documentation", "prompt": PROMPT, "output": "json_object",
         "output_schema": SCHEMA, "system": "You are a senior engineer documenting a codebase you have just read."},
    ]  # fmt: skip
    tool = StepDef(key=fixes.FIX, name="Write it as a patch of README.md", kind=StepKind.TOOL, tool="code_docs",
                   depends_on=[WRITE])  # fmt: skip
    return await fixes.create(session, ctx, spec, ready, steps, tool)


def _clean(text: str) -> str:
    """The model's Markdown, without the markers that delimit the section it goes in."""
    return text.replace(BEGIN, "").replace(END, "").strip()


def compose(data: dict[str, Any]) -> tuple[str, str]:
    """(the section for README.md, the report's Markdown)."""
    title = _clean(str(data.get("title") or "Overview")).splitlines()[0][:200] or "Overview"
    modules = [m for m in data.get("modules") or [] if isinstance(m, dict)]
    parts = [f"## {title}", _clean(str(data.get("readme_section") or ""))]
    if modules:
        parts.append("### Modules")
        parts += [
            f"#### `{_clean(str(m.get('path', ''))).replace('`', '')}`\n\n"
            f"{_clean(str(m.get('overview', '')))[:OVERVIEW_MAX]}"
            for m in modules
        ]
    body = "\n\n".join(parts) + "\n"
    return f"{BEGIN}\n{body}{END}\n", f"# {title}\n\n" + body.split("\n", 1)[1].lstrip()


def placed(old: str, section: str) -> str:
    """README.md with the section: between the markers if a docs run put them there, else added."""
    start, end = old.find(BEGIN), old.find(END)
    if 0 <= start < end:
        close = old.find("\n", end)
        return old[:start] + section + (old[close + 1 :] if close >= 0 else "")
    if not old:
        return section
    return old + ("" if old.endswith("\n") else "\n") + "\n" + section


def created(path: str, text: str) -> str:
    """A diff that creates ``path`` (git wants /dev/null as its old side)."""
    lines = patches.unified_diff(path, "", text).split("\n", 2)[2]  # without the ---/+++ pair
    return f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n{lines}"


async def docs_tool(call: ToolCall) -> ToolResult:
    commit = str(call.inputs.get("commit", ""))
    async with transaction(call.ctx.tenant_id) as session:
        query = select(StepRun).where(
            StepRun.run_id == call.run_id, StepRun.key == WRITE, StepRun.item_index == NO_ITEM
        )
        row = (await session.exec(query)).first()
        source = await get_source(session, call.ctx, call.project_id)
        if row is None or source is None or not isinstance(row.output_data, dict):
            raise ToolFailed("This project no longer has the repository this run read.")
        data, scan_path = dict(row.output_data), source.scan_path
    path = f"{scan_path}/README.md" if scan_path else "README.md"
    git_dir = paths.git_dir(call.ctx.tenant_id, call.project_id)
    kind = await git.path_kind(git_dir, commit, path)
    if kind not in ("", "blob"):
        raise ToolFailed(f"{path} is not a file in the repository: the section has nowhere to go.")
    try:
        raw = (
            await git.run(["cat-file", "blob", "--end-of-options", f"{commit}:{path}"], git_dir=git_dir)
            if kind
            else b""
        )
        old = raw.decode()
    except (git.GitError, UnicodeDecodeError):
        raise ToolFailed(f"{path} could not be read as text at commit {commit[:12]}.") from None
    section, report = compose(data)
    new = placed(old, section)
    patch = created(path, new) if not kind else patches.unified_diff(path, old, new)
    try:
        await patches.check_applies(git_dir, commit, patch)
    except patches.EditMismatch as problem:
        raise ToolFailed(problem.message) from None
    await call.progress(f"README section for {path}: the patch applies to {commit[:12]}")
    item = {"id": 0, "title": f"Documentation in {path}", "file": path, "start_line": 1,
            "end_line": new.count("\n"), "severity": "", "category": "docs", "explanation": "",
            "rationale": "", "patch": patch, "error": ""}  # fmt: skip
    return ToolResult(f"A README section for {path}.", {"commit": commit, "items": [item], "patch": patch,
                                                          "report": report})  # fmt: skip


async def save_docs_report(session: AsyncSession, run: Run) -> None:
    """Finisher of ``code_docs`` runs: the documentation becomes a report of the project. Once."""
    locked = (await session.exec(select(Run).where(Run.id == run.id).with_for_update())).first()
    if locked is None or run.started_by is None:
        return
    if (await session.exec(select(Report.id).where(Report.writer_run_id == run.id))).first() is not None:
        return
    query = select(StepRun).where(StepRun.run_id == run.id, StepRun.key == fixes.FIX, StepRun.item_index == NO_ITEM)
    row = (await session.exec(query)).first()
    data = row.output_data if row is not None and isinstance(row.output_data, dict) else {}
    body = str(data.get("report") or "")
    if not body:
        return
    ctx = TenantContext(run.tenant_id, run.started_by, Role.MEMBER)
    title = body.split("\n", 1)[0].removeprefix("# ")
    await save_report(
        session, ctx, project_id=run.project_id, kind=ReportKind.DOCS, title=title, body=body, writer_run_id=run.id
    )
