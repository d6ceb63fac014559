"""A project's code source: the repository it imports, its syncs and the files they listed.

"Import repository" saves the URL, branch, scan path and token (checked: the URL by the same
address rule as provider endpoints, the token encrypted like provider keys and shown only by its
last four characters) and starts a sync; "Sync" starts another. A sync is a run of kind
``code_sync`` (one TOOL step, services/code/sync.py) on the one engine: live progress, cancel,
restart, fencing and the one-at-a-time guard come from there.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.integrations import git
from nyx_app.models.code import BRANCH_MAX, SOURCE_URL_MAX, CodeSource, SourceFile
from nyx_app.models.run import Run, RunKind, StepRun
from nyx_app.services.code import paths
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.llm.crypto import encrypt_key, last4
from nyx_app.services.permissions import Action, require
from nyx_app.services.projects import get_project, normalise_scan_path
from nyx_app.services.runs import control
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.validation import Problems, optional_text
from nyx_app.services.workflows.definition import StepDef, StepKind, WorkflowDefinition

SYNC_STEP = "sync"
TOKEN_MAX = 500
FILES_PAGE = 500
_BRANCH_BAD = ("..", "@{", "//", "\\", " ", "~", "^", ":", "?", "*", "[")


def _url(raw: str) -> str:
    url = optional_text(raw, "Repository URL", SOURCE_URL_MAX).strip()
    if not url:
        raise InvalidInput("Enter the repository's URL, like https://github.com/owner/repo.git.")
    return url


def _branch(raw: str) -> str:
    branch = optional_text(raw, "Branch", BRANCH_MAX).strip().removeprefix("refs/heads/")
    if branch and (branch.startswith(("-", "/", ".")) or branch.endswith((".lock", "/", "."))
                   or any(bad in branch for bad in _BRANCH_BAD) or any(ord(c) < 32 for c in branch)):  # fmt: skip
        raise InvalidInput(f"'{branch}' is not a valid branch name.")
    return branch


async def get_source(session: AsyncSession, ctx: TenantContext, project_id: uuid.UUID) -> CodeSource | None:
    return (await session.exec(select(CodeSource).where(CodeSource.project_id == project_id))).first()


async def save_source(
    session: AsyncSession,
    ctx: TenantContext,
    project_id: str | uuid.UUID,
    *,
    url: str,
    branch: str = "",
    scan_path: str = "",
    token: str | None = None,
) -> CodeSource:
    """Create or change the project's source (``token=None`` keeps the stored one, "" removes it)."""
    require(ctx, Action.PROJECT_EDIT)
    project = await get_project(session, ctx, project_id)
    problems = Problems()
    checked_url = problems.check("url", _url, url)
    checked_branch = problems.check("branch", _branch, branch)
    checked_path = problems.check("scan_path", normalise_scan_path, scan_path)
    if token is not None and (len(token) > TOKEN_MAX or any(ord(c) < 33 for c in token.strip())):
        problems.add("token", "The token has spaces or control characters, or is too long.")
    problems.raise_if_any()
    assert checked_url is not None and checked_branch is not None and checked_path is not None
    try:
        await git.check_remote(checked_url)
    except git.GitError as error:
        problems.add("url", error.message)
        problems.raise_if_any()
    source = await get_source(session, ctx, project.id)
    if source is None:
        source = CodeSource(tenant_id=ctx.tenant_id, project_id=project.id, url=checked_url, created_by=ctx.user_id)
    source.url, source.branch, source.scan_path = checked_url, checked_branch, checked_path
    if token is not None:
        plain = token.strip()
        source.token_encrypted, source.token_last4 = (encrypt_key(plain), last4(plain)) if plain else ("", "")
    session.add(source)
    await session.flush()
    return source


async def start_sync(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> Run:
    """A sync run of the project's source (guarded: one at a time per project)."""
    require(ctx, Action.RUN_START)
    project = await get_project(session, ctx, project_id)
    source = await get_source(session, ctx, project.id)
    if source is None:
        raise InvalidInput("Import a repository first: enter its URL on the Sources tab.")
    await check_can_start(session, RunKind.CODE_SYNC, project.id, None)
    step = StepDef(key=SYNC_STEP, name="Sync the repository", kind=StepKind.TOOL, tool="code_sync")
    return await control.create_run(
        session, ctx, project_id=project.id, kind=RunKind.CODE_SYNC, title=f"Sync {source.url}"[:200],
        definition=WorkflowDefinition(steps=[step]), inputs={"source_id": str(source.id)},
    )  # fmt: skip


async def remove_source(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> None:
    require(ctx, Action.PROJECT_EDIT)
    project = await get_project(session, ctx, project_id)
    source = await get_source(session, ctx, project.id)
    if source is not None:
        await session.delete(source)
        await session.flush()
        paths.remove_clone_after_commit(session, ctx.tenant_id, project.id)


@dataclass(frozen=True, slots=True)
class FileRow:
    path: str
    language: str
    size: int
    lines: int
    skipped: str


@dataclass(frozen=True, slots=True)
class SourceView:
    url: str
    branch: str
    scan_path: str  # shown: "/" for the root
    token_last4: str
    has_token: bool
    commit: str
    synced_branch: str
    synced_at: str
    file_count: int
    skipped_count: int
    line_count: int
    files: list[FileRow]
    last_run_id: str
    last_run_status: str
    last_run_error: str
    progress: str


async def view(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID) -> SourceView | None:
    """What the Sources tab shows (one read): the source, its last sync run, a page of files."""
    project = await get_project(session, ctx, project_id)
    source = await get_source(session, ctx, project.id)
    if source is None:
        return None
    run = (
        await session.exec(
            select(Run)
            .where(Run.project_id == project.id, Run.kind == RunKind.CODE_SYNC.value)
            .order_by(col(Run.created_at).desc())
            .limit(1)
        )
    ).first()
    progress = ""
    if run is not None:
        step = (await session.exec(select(StepRun).where(StepRun.run_id == run.id))).first()
        progress = (step.output if step is not None else "")[-4000:]
    files = await session.exec(
        select(SourceFile)
        .where(SourceFile.source_id == source.id)
        .order_by(col(SourceFile.skipped) != "", col(SourceFile.path))
        .limit(FILES_PAGE)
    )
    return SourceView(
        url=source.url, branch=source.branch, scan_path="/" + source.scan_path if source.scan_path else "/",
        token_last4=source.token_last4, has_token=bool(source.token_encrypted), commit=source.commit_sha,
        synced_branch=source.synced_branch,
        synced_at=source.synced_at.strftime("%Y-%m-%d %H:%M UTC") if source.synced_at else "",
        file_count=source.file_count, skipped_count=source.skipped_count, line_count=source.line_count,
        files=[FileRow(f.path, f.language, f.size, f.lines, f.skipped) for f in files],
        last_run_id=str(run.id) if run else "", last_run_status=run.status if run else "",
        last_run_error=run.error if run else "", progress=progress,
    )  # fmt: skip


async def file_count(session: AsyncSession, source_id: uuid.UUID) -> int:
    return int((await session.exec(select(func.count()).where(SourceFile.source_id == source_id))).one())


async def read_file(session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, path: str) -> str:
    """A listed, read file's text at the synced commit (read-only; the viewer highlights it)."""
    project = await get_project(session, ctx, project_id)
    source = await get_source(session, ctx, project.id)
    if source is None or not source.commit_sha:
        raise NotFound("This project has no synced repository.")
    row = (
        await session.exec(select(SourceFile).where(SourceFile.source_id == source.id, SourceFile.path == path))
    ).first()
    if row is None:
        raise NotFound("That file is not in the synced repository.")
    if row.skipped:
        raise InvalidInput(f"This file is not shown: {row.skipped}.")
    git_dir = paths.git_dir(ctx.tenant_id, project.id)
    async for _sha, content in git.read_blobs(git_dir, [row.blob_sha]):
        return content.decode("utf-8", "replace")
    raise NotFound("That file is not in the synced repository.")


# The highlighter's names (integrations/code_highlight.py) for the languages a sync detects.
HIGHLIGHT = {
    "Python": "python", "TypeScript": "ts", "JavaScript": "js", "Go": "go", "Java": "java", "Rust": "rust",
    "Ruby": "ruby", "PHP": "php", "C#": "csharp", "Kotlin": "kotlin", "Swift": "swift", "Scala": "scala",
    "Shell": "bash", "SQL": "sql", "HTML": "html", "CSS": "css", "SCSS": "scss", "JSON": "json", "YAML": "yaml",
    "TOML": "toml", "XML": "xml", "Dockerfile": "dockerfile", "Makefile": "make",
}  # fmt: skip


def as_markdown(text: str, language: str) -> str:
    """A file as one fenced block for the one Markdown renderer (which colours it, within budget):
    the fence is longer than any run of backticks in the file, so the file cannot end it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{HIGHLIGHT.get(language, '')}\n{text}\n{fence}\n"
