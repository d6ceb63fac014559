"""The sync of a project's repository: a TOOL step (``code_sync``) of a ``code_sync`` run.

Fetch the branch's tip into the project's bare git directory (integrations/git.py: nothing of the
repository runs), list the files under the scan path, skip by rule (services/code/scan.py), read
the rest for language and lines — only blobs whose id changed since the last sync — and write the
list with the step's success, in one transaction under the run's lease: a sync that dies,
is cancelled or loses its run leaves the previous list as it was. Stale lock files a killed git
left behind are removed first (one sync per project at a time: the run guard), so a dead sync
never blocks the next one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Text, bindparam, cast, delete, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.integrations import code_tags, git
from nyx_app.models.code import FILE_PATH_MAX, CodeSource, SourceFile
from nyx_app.services.code import parsing, paths, scan
from nyx_app.services.engine.tools import ToolCall, ToolFailed, ToolResult
from nyx_app.services.llm.crypto import KeyUnreadable, decrypt_key
from nyx_app.settings import get_settings

PROGRESS_EVERY = 500
EMPTY_SYMBOLS = "{}"  # JSON text, as the parser's answers are
DELETE_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class Known:
    sha: str
    language: str
    lines: int
    skipped: str


def clear_stale_locks(git_dir: Path) -> None:
    """What a git killed mid-fetch leaves: lock files and half-received packs."""
    for pattern in ("*.lock", "refs/**/*.lock", "objects/pack/tmp_*", "objects/incoming-*"):
        for stale in git_dir.glob(pattern):
            if stale.is_file():
                stale.unlink(missing_ok=True)


async def _load(call: ToolCall) -> tuple[CodeSource, dict[str, Known]]:
    source_id = uuid.UUID(str(call.inputs.get("source_id")))
    async with transaction(call.ctx.tenant_id) as session:
        source = await session.get(CodeSource, source_id)
        if source is None or source.project_id != call.project_id:
            raise ToolFailed("This project no longer has a repository to sync.")
        # Not the symbols: a file whose blob did not change keeps its row as it is.
        columns = [col(c) for c in (SourceFile.path, SourceFile.blob_sha, SourceFile.language, SourceFile.skipped)]
        read = sa_select(*columns, col(SourceFile.lines)).where(col(SourceFile.source_id) == source_id)
        rows = (await session.execute(read)).all()
        known = {path: Known(sha, language, lines, skipped) for path, sha, language, skipped, lines in rows}
        session.expunge(source)
    return source, known


async def sync_tool(call: ToolCall) -> ToolResult:
    source, known = await _load(call)
    try:
        token = decrypt_key(source.token_encrypted)
    except KeyUnreadable:
        raise ToolFailed(
            "The repository's token can no longer be read (the server's key changed): enter it again."
        ) from None
    git_dir = paths.git_dir(call.ctx.tenant_id, call.project_id)
    try:
        await call.progress(f"Checking {source.url}")
        remote = await git.check_remote(source.url)
        await git.ensure_repository(git_dir)
        clear_stale_locks(git_dir)
        branch = await git.remote_heads(git_dir, remote, token, source.branch)
        await call.progress(f"Fetching branch {branch}")
        commit = await git.fetch(git_dir, remote, token, branch)
        await call.progress(f"Fetched commit {commit[:12]}")
        shown = "/" + source.scan_path if source.scan_path else "/"
        if source.scan_path:
            kind = await git.path_kind(git_dir, commit, source.scan_path)
            if kind != "tree":
                what = "is a file, not a folder" if kind else "does not exist"
                raise ToolFailed(f"The scan path {shown} {what} in branch {branch} (commit {commit[:12]}).")
        entries = await git.list_tree(git_dir, commit, source.scan_path)
        rows, reread = await _files(call, git_dir, entries, known)
    except git.GitError as error:
        raise ToolFailed(error.message) from None
    read = [r for r in rows if not r["skipped"]]
    lines = sum(r["lines"] for r in read)
    summary = (
        f"Synced {branch} at {commit[:12]} (scan path {shown}): {len(read):,} files, {lines:,} lines, "
        f"{len(rows) - len(read):,} skipped; {reread:,} read anew."
    )
    await call.progress(summary)
    data = {"commit": commit, "branch": branch, "files": len(read), "skipped": len(rows) - len(read),
            "lines": lines, "reread": reread}  # fmt: skip

    # Only what changed is written: new or changed files, and files gone from the list.
    changed = [r for r in rows if _changed(known.get(r["path"]), r)]
    gone = set(known) - {r["path"] for r in rows}

    async def write(session: AsyncSession) -> None:
        await _write(session, call, source.id, changed, gone, data)

    return ToolResult(summary, data, write)


async def _files(
    call: ToolCall, git_dir: Path, entries: list[git.TreeEntry], known: dict[str, Known]
) -> tuple[list[dict[str, Any]], int]:
    settings = get_settings()
    if len(entries) > settings.git_max_files:
        raise ToolFailed(
            f"The scan path holds {len(entries):,} files, more than this server syncs ({settings.git_max_files:,}, "
            "NYX_GIT_MAX_FILES): choose a smaller scan path."
        )
    max_bytes = settings.git_max_file_kb * 1024
    rows: dict[str, dict[str, Any]] = {}
    pending: dict[str, list[tuple[str, str]]] = {}  # blob id → [(path, mode)]
    for entry in entries:
        path, why = scan.decode_name(entry.path)
        path = path[:FILE_PATH_MAX]
        why = why or scan.by_path(path, entry.mode, entry.size, max_bytes)
        row = {"path": path, "blob_sha": entry.sha, "language": scan.language_of(path),
               "size": max(entry.size, 0), "lines": 0, "skipped": why, "symbols": EMPTY_SYMBOLS}  # fmt: skip
        rows[path] = row
        before = known.get(path)
        if why:
            continue
        if before is not None and before.sha == entry.sha:
            row["lines"], row["skipped"] = before.lines, before.skipped
            continue
        pending.setdefault(entry.sha, []).append((path, entry.mode))
    done = 0
    to_parse: list[tuple[str, str, bytes]] = []
    async for sha, content in git.read_blobs(git_dir, list(pending)):
        for path, mode in pending[sha]:
            row = rows[path]
            row["skipped"] = scan.by_content(path, mode, content)
            row["lines"] = 0 if row["skipped"] else scan.count_lines(content)
            if not row["skipped"] and row["language"] in code_tags.SUPPORTED:
                to_parse.append((row["language"], path, content))
        done += 1
        if done % PROGRESS_EVERY == 0:
            await call.progress(f"Read {done:,} of {len(pending):,} changed files")
    if to_parse:
        await call.progress(f"Reading the symbols of {len(to_parse):,} files (tree-sitter)")
        for (_lang, path, _content), symbols in zip(
            to_parse, await parsing.extract(to_parse, gate=call.ctx.tenant_id), strict=True
        ):
            rows[path]["symbols"] = symbols
    return list(rows.values()), len(pending)


def _changed(before: Known | None, row: dict[str, Any]) -> bool:
    return before is None or (before.sha, before.skipped, before.language) != (
        row["blob_sha"],
        row["skipped"],
        row["language"],
    )


async def _write(
    session: AsyncSession,
    call: ToolCall,
    source_id: uuid.UUID,
    rows: list[dict[str, Any]],
    gone: set[str],
    data: dict[str, Any],
) -> None:
    """The list becomes the new one (changed rows replaced, gone ones removed), with the source's
    summary, in the step's transaction."""
    source = (await session.exec(select(CodeSource).where(CodeSource.id == source_id).with_for_update())).first()
    if source is None:  # removed meanwhile: nothing to list
        return
    stale = [r["path"] for r in rows] + sorted(gone)
    for start in range(0, len(stale), DELETE_CHUNK):
        await session.execute(
            delete(SourceFile).where(
                col(SourceFile.source_id) == source_id, col(SourceFile.path).in_(stale[start : start + DELETE_CHUNK])
            )
        )
    if rows:
        tenant = call.ctx.tenant_id
        # Core, not the ORM's bulk path; the symbols arrive as JSON text from the parser's process
        # and go to the JSONB column as such (no decoding and encoding again in this process).
        table = SourceFile.__table__  # type: ignore[attr-defined]
        statement = insert(table).values(symbols=cast(bindparam("symbols_json", type_=Text), JSONB))
        params = [
            {"id": uuid.uuid4(), "tenant_id": tenant, "source_id": source_id, "path": r["path"],
             "blob_sha": r["blob_sha"], "language": r["language"], "size": r["size"], "lines": r["lines"],
             "skipped": r["skipped"], "symbols_json": r["symbols"]}
            for r in rows
        ]  # fmt: skip
        await session.execute(statement, params)
    await session.execute(
        update(CodeSource)
        .where(col(CodeSource.id) == source_id)
        .values(
            synced_branch=data["branch"], commit_sha=data["commit"], synced_at=utcnow(), file_count=data["files"],
            skipped_count=data["skipped"], line_count=data["lines"], updated_at=utcnow(),
        )
    )  # fmt: skip
