"""What a user does with an auto-fix run's patch besides downloading it: push it as a branch of
the repository, and open a pull request when the repository is on GitHub and has a token.

The branch's commit is made in the project's bare git directory without a work tree (the run's
commit read into a throw-away index, the combined patch applied to it, ``write-tree`` and
``commit-tree``), so nothing of the repository runs: no checkout, no hooks (``core.hooksPath`` is
``/dev/null`` and ``--no-verify``). The push goes to the source's checked URL with its token in a
header (integrations/git.py), never in the URL, argv or a message. What was published is kept on
the run (``inputs["published"]``), so its page shows it later.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.integrations import git, github
from nyx_app.models.code import CodeSource
from nyx_app.models.run import Run
from nyx_app.services.code import fixes, paths
from nyx_app.services.code.sources import get_source
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidFields, InvalidInput
from nyx_app.services.llm.crypto import KeyUnreadable, decrypt_key
from nyx_app.services.permissions import Action, require
from nyx_app.settings import get_settings

BRANCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
IDENTITY = ["-c", "user.name=nyxCore", "-c", "user.email=nyxcore@localhost"]
TITLE_MAX = 200


def check_branch(raw: str) -> str:
    branch = raw.strip()
    if not BRANCH_RE.match(branch) or ".." in branch or "//" in branch or branch.endswith((".lock", "/", ".")):
        raise InvalidFields(
            {
                "branch": "A branch name uses letters, digits and . _ / - only (like nyx/autofix-1), "
                "without '..', '//' or a trailing '/', '.' or '.lock'."
            }
        )
    return branch


async def _prepared(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID) -> tuple[Run, CodeSource, str]:
    require(ctx, Action.PROJECT_EDIT)
    found = await fixes.view(session, ctx, run_id)
    run = await session.get(Run, uuid.UUID(found.run_id))
    assert run is not None
    source = await get_source(session, ctx, run.project_id)
    if source is None:
        raise InvalidInput("This project no longer has a repository.")
    if not fixes.combined_patch(found):
        raise InvalidInput(f"This run has no checked patch yet: select {found.noun}s and let it finish.")
    try:
        token = decrypt_key(source.token_encrypted)
    except KeyUnreadable:
        raise InvalidInput("The repository's token can no longer be read: enter it again on the Sources tab.") from None
    return run, source, token


async def _commit(git_dir: Path, commit: str, patch: str, message: str) -> str:
    with tempfile.TemporaryDirectory(prefix="nyx-index-") as tmp:
        index = Path(tmp) / "index"
        await git.run(["read-tree", f"--index-output={index}", "--end-of-options", commit], git_dir=git_dir)
        await git.run(["apply", "--cached", "--whitespace=nowarn", "-"], git_dir=git_dir, stdin=patch.encode(),
                      index_file=index)  # fmt: skip
        tree = (await git.run(["write-tree"], git_dir=git_dir, index_file=index)).decode().strip()
    made = await git.run([*IDENTITY, "commit-tree", tree, "-p", commit, "-m", message], git_dir=git_dir)
    return made.decode().strip()


def _publish(run: Run, **values: Any) -> None:
    run.inputs = {**run.inputs, "published": {**(run.inputs.get("published") or {}), **values}}
    flag_modified(run, "inputs")


async def push_branch(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, branch: str) -> str:
    """Push the run's combined patch as a new commit on ``branch`` of the remote; its commit id."""
    name = check_branch(branch)
    run, source, token = await _prepared(session, ctx, run_id)
    found = await fixes.view(session, ctx, run.id)
    git_dir = paths.git_dir(ctx.tenant_id, run.project_id)
    titles = "\n".join(f"- {i['title']}" for i in found.items if i.get("patch"))
    try:
        sha = await _commit(git_dir, found.commit, found.patch, f"{found.name} by nyxCore\n\n{titles}\n")
        remote = await git.check_remote(source.url)
        await git.run(
            ["push", "--quiet", "--no-verify", "--", remote.url, f"{sha}:refs/heads/{name}"],
            git_dir=git_dir, remote=remote, token=token,
        )  # fmt: skip
    except git.GitError as error:
        raise InvalidInput(f"The branch was not pushed: {error.message}") from None
    _publish(run, branch=name, commit=sha, base=source.synced_branch, pull_request="")
    session.add(run)
    await session.flush()
    return sha


def github_repository(url: str) -> tuple[str, str] | None:
    """(owner, name) when ``url`` is a repository on the operator's GitHub host."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != get_settings().github_host.lower():
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    # Not "." or "..": they would walk the API path to another endpoint with the user's token.
    if not all(re.fullmatch(r"[A-Za-z0-9._-]{1,100}", s) and s.strip(".") for s in (owner, name)):
        return None
    return owner, name


async def open_pull_request(session: AsyncSession, ctx: TenantContext, run_id: str | uuid.UUID, title: str) -> str:
    """Open a pull request of the pushed branch into the synced one; its address."""
    run, source, token = await _prepared(session, ctx, run_id)
    published = run.inputs.get("published") or {}
    if not published.get("branch"):
        raise InvalidInput("Push a branch first: the pull request is opened from it.")
    where = github_repository(source.url)
    if where is None:
        raise InvalidInput(f"Pull requests are opened only for repositories on {get_settings().github_host}.")
    if not token:
        raise InvalidInput("Set a token on the Sources tab first: GitHub opens pull requests only with one.")
    heading = title.strip()[:TITLE_MAX] or f"{fixes.mode_of(run).name} by nyxCore"
    found = await fixes.view(session, ctx, run.id)
    body = "\n".join(f"- **{i['title']}** ({i['file']}): {i.get('rationale', '')}" for i in found.items if i["patch"])
    try:
        pull = await github.open_pull_request(
            token, *where, head=published["branch"], base=published.get("base") or source.synced_branch,
            title=heading, body=body[:60_000],
        )  # fmt: skip
    except github.GitHubError as error:
        raise InvalidInput(error.message) from None
    _publish(run, pull_request=pull.url)
    session.add(run)
    await session.flush()
    return pull.url
