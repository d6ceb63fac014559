"""Git: Debian's ``git`` CLI, run so that nothing of a repository executes and nothing leaks.

Why the CLI (not dulwich or pygit2): it is the reference implementation of the smart HTTP
protocol, shallow fetches and pack checks, it streams packs to disk in C (a 200,000-line
repository costs the web process nothing), and it exposes the two knobs this module needs —
``http.curloptResolve`` to pin a checked address and ``http.extraHeader`` to send a token from the
environment. ``scripts/lib.sh`` installs it (``ensure_apt git``).

The rules, each enforced here and nowhere else:
- The repository is fetched into a **bare** git directory and never checked out: files are read
  as blobs (``ls-tree``, ``cat-file``), so no hook, filter driver, LFS smudge, submodule or symlink
  on disk can act. Hooks are off anyway (``core.hooksPath=/dev/null``), as are fsmonitor and
  submodule recursion.
- A clean environment: no system or global config, no terminal prompt, no credential helper, no
  askpass; only the schemes in ``NYX_GIT_PROTOCOLS`` (https by default) via ``protocol.allow``.
- The URL obeys the provider-endpoint rule (``net_guard``): its host is resolved and every answer
  checked, then git is pinned to the checked address (``http.curloptResolve``), so DNS rebinding
  cannot move the fetch inside the network. Redirects are not followed (another host could be
  inside). ssh and file URLs cannot be pinned: they work only where the operator allows them.
- A token travels as an ``Authorization`` header in ``GIT_CONFIG_*`` environment variables: never
  in argv (``ps``), the URL, ``.git/config`` or a log line.
- Limits: a fetch whose objects pass ``NYX_GIT_MAX_CLONE_MB`` is killed; every command has a
  time limit; a cancelled caller kills the command's process group.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpcore

from nyx_app.integrations import net_guard
from nyx_app.settings import get_settings

GIT = "/usr/bin/git"
RESOLVE_TIMEOUT_S = 5.0
SIZE_POLL_S = 0.25
MESSAGE_MAX = 400
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class GitError(Exception):
    """A git operation failed; ``message`` is for the user who asked for it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Remote:
    url: str
    scheme: str
    host: str
    pinned: str = ""  # "host:port:address" for curl, "" for ssh/file (operator-allowed only)


def _refusal(message: str) -> str:
    return message.replace("This endpoint", "This repository's address", 1).replace(
        net_guard.ALLOW_SETTING, f"{net_guard.ALLOW_SETTING} (the same list as provider endpoints)"
    )


async def check_remote(url: str) -> Remote:
    """The remote git may fetch from, pinned to a checked address; raises GitError in words."""
    settings = get_settings()
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in settings.git_protocols:
        allowed = ", ".join(f"{p}://" for p in settings.git_protocols)
        raise GitError(f"This server fetches repositories only over {allowed} (the operator sets NYX_GIT_PROTOCOLS).")
    if _CONTROL.search(url) or " " in url:
        raise GitError("The repository URL contains spaces or control characters.")
    if scheme == "file":
        if not Path(parts.path).is_dir():
            raise GitError(f"There is no repository at {parts.path} on this server.")
        return Remote(url, scheme, "")
    if parts.username or parts.password:
        raise GitError("Put the token in the token field, not in the URL (a URL is shown and logged; a token is not).")
    host = parts.hostname or ""
    if not host:
        raise GitError("The repository URL has no host name.")
    if scheme == "ssh":
        return Remote(url, scheme, host)
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise GitError("The repository URL has an invalid port.") from None
    try:
        addresses = await net_guard.checked_addresses(host, port, net_guard.Policy.from_settings(), RESOLVE_TIMEOUT_S)
    except net_guard.RefusedAddress as refused:
        raise GitError(_refusal(refused.message)) from None
    except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
        raise GitError(str(exc) or f"The host name {host} could not be resolved.") from None
    address = str(net_guard.canonical(addresses[0]))
    address = f"[{address}]" if ":" in address else address
    return Remote(url, scheme, host, f"{host.rstrip('.')}:{port}:{address}")


def _config(remote: Remote | None, token: str) -> list[tuple[str, str]]:
    protocols = get_settings().git_protocols
    config = [
        ("core.hooksPath", "/dev/null"),
        ("core.fsmonitor", "false"),
        ("core.askPass", ""),
        ("credential.helper", ""),
        ("protocol.allow", "never"),
        *[(f"protocol.{p}.allow", "always") for p in protocols],
        ("http.followRedirects", "false"),
        ("submodule.recurse", "false"),
        ("fetch.recurseSubmodules", "false"),
        ("transfer.fsckObjects", "true"),
        ("gc.auto", "0"),
    ]
    if remote is not None and remote.pinned:
        config.append(("http.curloptResolve", remote.pinned))
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        config.append(("http.extraHeader", f"Authorization: Basic {basic}"))
    return config


def environment(remote: Remote | None = None, token: str = "") -> dict[str, str]:
    """A clean environment for git: nothing inherited, configuration by GIT_CONFIG_* variables."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
    }
    config = _config(remote, token)
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for i, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return env


def _tree_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


async def run(
    args: Sequence[str],
    *,
    git_dir: Path,
    remote: Remote | None = None,
    token: str = "",
    timeout: float | None = None,
    watch_size: bool = False,
    stdin: bytes | None = None,
    index_file: Path | None = None,
) -> bytes:
    """Run one git command against ``git_dir``; its stdout. Raises GitError with git's words."""
    settings = get_settings()
    limit = settings.git_max_clone_mb * 1024 * 1024
    env = environment(remote, token)
    if index_file is not None:  # a throw-away index: the clone stays bare and untouched
        env["GIT_INDEX_FILE"] = str(index_file)
    proc = await asyncio.create_subprocess_exec(
        GIT, f"--git-dir={git_dir}", *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=env, cwd=git_dir, start_new_session=True,
    )  # fmt: skip
    too_big = False

    async def watch() -> None:
        nonlocal too_big
        while True:
            await asyncio.sleep(SIZE_POLL_S)
            if await asyncio.to_thread(_tree_bytes, git_dir / "objects") > limit:
                too_big = True
                _kill(proc)
                return

    watcher = asyncio.create_task(watch()) if watch_size else None
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout or settings.git_timeout_seconds)
    except TimeoutError:
        _kill(proc)
        await proc.wait()
        raise GitError(f"git took longer than {timeout or settings.git_timeout_seconds:g} s and was stopped.") from None
    except BaseException:
        _kill(proc)
        await proc.wait()
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    if too_big:
        raise GitError(
            f"The repository is larger than {settings.git_max_clone_mb} MB (NYX_GIT_MAX_CLONE_MB); "
            "choose a smaller repository or ask the operator to raise the limit."
        )
    if proc.returncode != 0:
        raise GitError(explain(err.decode("utf-8", "replace")))
    return out


def explain(stderr: str) -> str:
    """git's error in words a user can act on (its own last line when nothing better fits)."""
    text = stderr.lower()
    if "could not read username" in text or "authentication failed" in text or "returned error: 401" in text:
        return "The repository needs a token, or the token is wrong: set a token that can read it."
    if "returned error: 403" in text:
        return "The token was refused (403): check that it can read this repository."
    if "returned error: 404" in text or re.search(r"repository .* not found", text) or "not appear to be a git" in text:
        return "No repository was found at this URL (or it is private and needs a token)."
    if "returned error: 30" in text or "redirect" in text:
        return "The server answered with a redirect, which is not followed: use the repository's final URL."
    if "not valid: is this a git repository" in text or "not found: did you run git update-server-info" in text:
        return "This URL is not a git repository."
    if "couldn't find remote ref" in text:
        return "That branch does not exist in the repository."
    if "could not resolve host" in text or "couldn't resolve host" in text:
        return "The repository's host name could not be resolved."
    if "failed to connect" in text or "connection refused" in text or "timed out" in text:
        return "The repository's server could not be reached."
    lines = [_CONTROL.sub("", line).strip() for line in stderr.splitlines() if line.strip()]
    return ("git failed: " + (lines[-1] if lines else "no message"))[:MESSAGE_MAX]


async def ensure_repository(git_dir: Path) -> None:
    if not (git_dir / "HEAD").exists():
        git_dir.mkdir(parents=True, exist_ok=True)
        await run(["init", "--bare", "--quiet"], git_dir=git_dir)


async def remote_heads(git_dir: Path, remote: Remote, token: str, branch: str) -> str:
    """The branch to fetch: ``branch`` if it exists, else the remote's default. Raises GitError."""
    wanted = ["HEAD", f"refs/heads/{branch}"] if branch else ["HEAD"]
    out = await run(["ls-remote", "--symref", "--", remote.url, *wanted], git_dir=git_dir, remote=remote, token=token)
    lines = out.decode("utf-8", "replace").splitlines()
    if not lines:
        if branch:
            raise GitError(f"The branch '{branch}' does not exist in the repository (or the repository is empty).")
        raise GitError("The repository is empty: it has no commits yet.")
    if branch:
        if not any(line.endswith(f"\trefs/heads/{branch}") for line in lines):
            raise GitError(f"The branch '{branch}' does not exist in the repository.")
        return branch
    for line in lines:
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line.removeprefix("ref: refs/heads/").split("\t", 1)[0]
    raise GitError("The repository has no default branch: enter the branch to sync.")


async def fetch(git_dir: Path, remote: Remote, token: str, branch: str) -> str:
    """Fetch the tip of ``branch`` (shallow) and return its commit id."""
    ref = f"refs/nyx/{branch}"
    await run(
        ["fetch", "--quiet", "--no-tags", "--depth=1", "--no-recurse-submodules", "--no-write-fetch-head",
         "--", remote.url, f"+refs/heads/{branch}:{ref}"],
        git_dir=git_dir, remote=remote, token=token, watch_size=True,
    )  # fmt: skip
    out = await run(["rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"], git_dir=git_dir)
    return out.decode().strip()


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str
    kind: str  # blob | commit (a submodule)
    sha: str
    size: int  # -1 for a submodule
    path: bytes  # raw: a name need not be UTF-8


async def path_kind(git_dir: Path, commit: str, path: str) -> str:
    """ "tree", "blob" … or "" when ``path`` does not exist in ``commit``."""
    try:
        out = await run(["cat-file", "-t", "--end-of-options", f"{commit}:{path}"], git_dir=git_dir)
    except GitError:
        return ""
    return out.decode().strip()


async def list_tree(git_dir: Path, commit: str, scan_path: str) -> list[TreeEntry]:
    args = ["ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", commit]
    out = await run([*args, "--", scan_path] if scan_path else args, git_dir=git_dir)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, sha, size = meta.decode().split()
        entries.append(TreeEntry(mode, kind, sha, int(size) if size != "-" else -1, path))
    return entries


async def read_blobs(git_dir: Path, shas: Sequence[str]) -> AsyncIterator[tuple[str, bytes]]:
    """The contents of ``shas`` (one ``cat-file --batch`` process; stdin written beside reading)."""
    if not shas:
        return
    proc = await asyncio.create_subprocess_exec(
        GIT, f"--git-dir={git_dir}", "cat-file", "--batch",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env=environment(), cwd=git_dir, start_new_session=True, limit=2**20,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    async def feed() -> None:
        for sha in shas:
            stdin.write(sha.encode() + b"\n")
            await stdin.drain()
        stdin.close()

    feeder = asyncio.create_task(feed())
    try:
        for _ in shas:
            header = (await stdout.readline()).decode().split()
            if len(header) != 3:
                raise GitError(f"git cat-file: unexpected answer {' '.join(header)[:80]!r}")
            body = await stdout.readexactly(int(header[2]) + 1)
            yield header[0], body[:-1]
        await feeder
    finally:
        feeder.cancel()
        _kill(proc)
        await proc.wait()
