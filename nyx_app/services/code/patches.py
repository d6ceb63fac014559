"""Patches from a model's search/replace edits, checked with git before anyone sees them.

The auto-fix and refactor runs (not built yet) ask a model for edits as SEARCH/REPLACE pairs over
one file. Each SEARCH must occur exactly once in the file at the synced commit; the edited text
becomes a unified diff, which ``git apply --check --cached`` tries against that commit's tree in a
throw-away index (the clone stays bare: nothing is checked out). An edit that does not match, or a
diff git would not apply, raises ``EditMismatch`` in words: it is retried or reported, never shown
as a broken patch.
"""

from __future__ import annotations

import difflib
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.integrations import git
from nyx_app.services.code import paths, sources
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, ServiceError


class EditMismatch(ServiceError):
    """An edit does not fit the file (or git would not apply the result)."""


@dataclass(frozen=True, slots=True)
class Edit:
    search: str
    replace: str


def apply_edits(path: str, text: str, edits: list[Edit]) -> str:
    for number, edit in enumerate(edits, 1):
        if not edit.search:
            raise EditMismatch(f"Edit {number} of {path} has nothing to search for.")
        found = text.count(edit.search)
        if found != 1:
            where = "is not in the file" if found == 0 else f"occurs {found} times (it must be unique)"
            raise EditMismatch(f"Edit {number} of {path}: the text to replace {where}.")
        text = text.replace(edit.search, edit.replace, 1)
    return text


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


async def check_applies(git_dir: Path, commit: str, patch: str) -> None:
    """``git apply --check`` of ``patch`` against ``commit``'s tree (a temporary index)."""
    with tempfile.TemporaryDirectory(prefix="nyx-index-") as tmp:
        index = Path(tmp) / "index"
        await git.run(["read-tree", f"--index-output={index}", "--end-of-options", commit], git_dir=git_dir)
        try:
            await git.run(
                ["apply", "--check", "--cached", "--whitespace=nowarn", "-"],
                git_dir=git_dir, stdin=patch.encode(), index_file=index,
            )  # fmt: skip
        except git.GitError as error:
            raise EditMismatch(f"The edited file does not apply to the synced commit: {error.message}") from None


async def build_patch(
    session: AsyncSession, ctx: TenantContext, project_id: str | uuid.UUID, path: str, edits: list[Edit]
) -> str:
    """The checked unified diff of ``edits`` to ``path`` at the project's synced commit."""
    text = await sources.read_file(session, ctx, project_id, path)
    source = await sources.get_source(session, ctx, uuid.UUID(str(project_id)))
    assert source is not None  # read_file found it
    new = apply_edits(path, text, edits)
    if new == text:
        raise InvalidInput(f"The edits leave {path} as it is: there is nothing to patch.")
    patch = unified_diff(path, text, new)
    await check_applies(paths.git_dir(ctx.tenant_id, source.project_id), source.commit_sha, patch)
    return patch
