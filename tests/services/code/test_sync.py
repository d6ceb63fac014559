"""Importing a repository and syncing it: a real git repository made in the test, served over
smart HTTP on loopback (tests/fakes/git_server.py), synced by the engine's code_sync run."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.code import CodeSource, SourceFile
from nyx_app.models.run import Run, RunStatus, StepRun
from nyx_app.services.code import patches, paths, sources
from nyx_app.services.engine.executor import execute
from nyx_app.services.errors import Conflict, InvalidFields, NotFound
from nyx_app.services.workflows.definition import StepDef, StepKind, WorkflowDefinition
from nyx_app.services.workflows.validate import problems
from tests.factories import Account, TenantFactory
from tests.fakes.dns import FakeDNS, fake_dns
from tests.fakes.git_server import GIT_ENV, GitServer, Repo
from tests.services.code.conftest import new_project

__all__ = ["fake_dns"]


def sample_repo(server: GitServer, name: str = "app") -> Repo:
    repo = Repo(server.root, name)
    repo.write("README.md", "# App\n\nHello.\n")
    repo.write("src/app/main.py", "def main():\n    return 1\n\n\nmain()\n")
    repo.write("src/app/util.ts", "export const x = 1;\n")
    repo.write("src/web/index.js", "console.log('hi')\n")
    repo.write("src/assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    repo.write("node_modules/left-pad/index.js", "module.exports = 1\n")
    repo.write("dist/bundle.js", "var a=1\n")
    repo.write("package-lock.json", "{}\n")
    repo.write("src/big.py", "x = 1\n" * 20_000)  # 120 KB > the tests' 64 KB limit
    repo.write("src/bad\x01name.py", "y = 2\n")
    repo.symlink("src/escape", "../../../etc/passwd")
    repo.symlink("src/inside", "app/main.py")
    repo.gitlink("vendor_sub")
    repo.commit("first")
    return repo


async def import_and_sync(acct: Account, project_id: uuid.UUID, url: str, **fields: str) -> Run:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await sources.save_source(s, acct.ctx, project_id, url=url, **fields)
        run = await sources.start_sync(s, acct.ctx, project_id)
    return await sync_to_end(acct, run.id)


async def sync_to_end(acct: Account, run_id: uuid.UUID) -> Run:
    await execute(acct.ctx.tenant_id, run_id)
    async with transaction(acct.ctx.tenant_id) as s:
        run = await s.get(Run, run_id)
        assert run is not None
        return run


async def listed(acct: Account, project_id: uuid.UUID) -> dict[str, SourceFile]:
    async with transaction(acct.ctx.tenant_id) as s:
        source = await sources.get_source(s, acct.ctx, project_id)
        assert source is not None
        return {f.path: f for f in await s.exec(select(SourceFile).where(SourceFile.source_id == source.id))}


async def test_sync_lists_files_with_language_and_lines_and_skips_by_rule(
    tenants: TenantFactory, git_server: GitServer
) -> None:
    sample_repo(git_server)
    acct, project_id = await new_project(tenants)
    run = await import_and_sync(acct, project_id, git_server.repo_url("app"))
    assert run.status == RunStatus.SUCCEEDED.value, run.error
    files = await listed(acct, project_id)
    main = files["src/app/main.py"]
    assert (main.language, main.lines, main.skipped) == ("Python", 5, "")
    assert files["src/app/util.ts"].language == "TypeScript"
    assert files["README.md"].lines == 3
    skipped = {path: f.skipped for path, f in files.items() if f.skipped}
    assert skipped["src/assets/logo.png"] == "binary"
    assert skipped["node_modules/left-pad/index.js"].startswith("vendored")
    assert skipped["dist/bundle.js"] == "generated"
    assert skipped["package-lock.json"] == "generated"
    assert skipped["src/big.py"].startswith("oversized (117 KB")
    assert skipped["src/bad?name.py"] == "the file name contains control characters"
    assert skipped["src/escape"] == "symlink pointing outside the repository (refused)"
    assert skipped["src/inside"] == "symlink to app/main.py"
    assert skipped["vendor_sub"] == "submodule (not fetched)"
    async with transaction(acct.ctx.tenant_id) as s:
        view = await sources.view(s, acct.ctx, project_id)
        text = await sources.read_file(s, acct.ctx, project_id, "src/app/main.py")
        with pytest.raises(Exception, match="not shown: binary"):
            await sources.read_file(s, acct.ctx, project_id, "src/assets/logo.png")
    assert view is not None and view.scan_path == "/" and view.file_count == 4 and view.skipped_count == 9
    assert view.synced_branch == "main" and len(view.commit) == 40
    assert "Synced main" in view.progress
    assert text.startswith("def main():")
    # Nothing was checked out: the clone is a bare git directory (no hooks, filters or symlinks on disk).
    git_dir = paths.git_dir(acct.ctx.tenant_id, project_id)
    assert (git_dir / "HEAD").exists() and not (git_dir / "src").exists()


async def test_resync_reads_only_changed_files_and_a_scan_path_limits_the_list(
    tenants: TenantFactory, git_server: GitServer
) -> None:
    repo = sample_repo(git_server)
    acct, project_id = await new_project(tenants)
    first = await import_and_sync(acct, project_id, git_server.repo_url("app"))
    assert first.status == RunStatus.SUCCEEDED.value, first.error
    repo.write("src/app/main.py", "def main():\n    return 2\n")
    repo.commit("second")
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        again = await sources.start_sync(s, acct.ctx, project_id)
    second = await sync_to_end(acct, again.id)
    async with transaction(acct.ctx.tenant_id) as s:
        step = (await s.exec(select(StepRun).where(StepRun.run_id == second.id))).one()
    assert step.output_data["reread"] == 1
    assert (await listed(acct, project_id))["src/app/main.py"].lines == 2

    run = await import_and_sync(acct, project_id, git_server.repo_url("app"), scan_path="src/app")
    assert run.status == RunStatus.SUCCEEDED.value, run.error
    assert set(await listed(acct, project_id)) == {"src/app/main.py", "src/app/util.ts"}
    async with transaction(acct.ctx.tenant_id) as s:
        view = await sources.view(s, acct.ctx, project_id)
    assert view is not None and view.scan_path == "/src/app"


async def test_a_missing_scan_path_fails_in_words_and_keeps_the_last_list(
    tenants: TenantFactory, git_server: GitServer
) -> None:
    sample_repo(git_server)
    acct, project_id = await new_project(tenants)
    await import_and_sync(acct, project_id, git_server.repo_url("app"))
    before = await listed(acct, project_id)
    run = await import_and_sync(acct, project_id, git_server.repo_url("app"), scan_path="docs/missing")
    assert run.status == RunStatus.FAILED.value
    assert "The scan path /docs/missing does not exist in branch main" in run.error
    assert set(await listed(acct, project_id)) == set(before)  # nothing half-synced


async def test_bad_repositories_fail_in_words(tenants: TenantFactory, git_server: GitServer) -> None:
    sample_repo(git_server)
    Repo(git_server.root, "empty")
    acct, project_id = await new_project(tenants)
    cases = {
        git_server.repo_url("nothing-here"): "No repository was found at this URL",
        git_server.repo_url("empty"): "The repository is empty",
    }
    for url, message in cases.items():
        run = await import_and_sync(acct, project_id, url)
        assert run.status == RunStatus.FAILED.value and message in run.error, run.error
    run = await import_and_sync(acct, project_id, git_server.repo_url("app"), branch="no-such-branch")
    assert "The branch 'no-such-branch' does not exist" in run.error
    git_server.redirects["/moved"] = git_server.url
    run = await import_and_sync(acct, project_id, f"{git_server.url}/moved/app.git")
    assert run.status == RunStatus.FAILED.value and "redirect" in run.error, run.error


async def test_a_private_repository_needs_the_token_which_stays_out_of_argv_config_and_rows(
    tenants: TenantFactory, git_server: GitServer
) -> None:
    sample_repo(git_server, "private-app")
    acct, project_id = await new_project(tenants)
    run = await import_and_sync(acct, project_id, git_server.repo_url("private-app"))
    assert run.status == RunStatus.FAILED.value and "needs a token" in run.error
    run = await import_and_sync(acct, project_id, git_server.repo_url("private-app"), token="wrong-token-0000")
    assert run.status == RunStatus.FAILED.value and "token is wrong" in run.error
    run = await import_and_sync(acct, project_id, git_server.repo_url("private-app"), token=git_server.token)
    assert run.status == RunStatus.SUCCEEDED.value, run.error
    git_dir = paths.git_dir(acct.ctx.tenant_id, project_id)
    config = (git_dir / "config").read_text()
    assert git_server.token not in config and "extraheader" not in config.lower()
    async with transaction(acct.ctx.tenant_id) as s:
        source = (await s.exec(select(CodeSource).where(CodeSource.project_id == project_id))).one()
        steps = list(await s.exec(select(StepRun).where(StepRun.run_id == run.id)))
    assert source.token_last4 == "1234" and git_server.token not in source.token_encrypted
    assert all(git_server.token not in (st.output + st.prompt + st.error) for st in steps)


async def test_addresses_inside_the_network_and_other_schemes_are_refused_when_saved(
    tenants: TenantFactory, git_settings: None
) -> None:
    acct, project_id = await new_project(tenants)
    refused = {
        "http://10.0.0.5/repo.git": "private address",
        "http://169.254.169.254/latest": "cloud metadata",
        "ssh://git@example.com/repo.git": "only over https://, http://",
        "file:///etc": "only over https://, http://",
        "https://user:pw@example.com/r.git": "Put the token in the token field",
    }
    for url, message in refused.items():
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            with pytest.raises(InvalidFields) as caught:
                await sources.save_source(s, acct.ctx, project_id, url=url)
        assert message in caught.value.fields["url"], caught.value.fields


async def test_one_sync_at_a_time_and_another_tenant_reaches_nothing(
    tenants: TenantFactory, git_server: GitServer
) -> None:
    sample_repo(git_server)
    acct, project_id = await new_project(tenants)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await sources.save_source(s, acct.ctx, project_id, url=git_server.repo_url("app"), token="tok-abcd-efgh")
        pending = await sources.start_sync(s, acct.ctx, project_id)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        with pytest.raises(Conflict, match="being synced already"):
            await sources.start_sync(s, acct.ctx, project_id)
    await sync_to_end(acct, pending.id)
    other, _ = await new_project(tenants, "Other")
    async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
        for call in (
            sources.view(s, other.ctx, project_id),
            sources.read_file(s, other.ctx, project_id, "src/app/main.py"),
            sources.start_sync(s, other.ctx, project_id),
            sources.save_source(s, other.ctx, project_id, url=git_server.repo_url("app")),
        ):
            with pytest.raises(NotFound):
                await call
        assert list(await s.exec(select(CodeSource))) == []
        assert list(await s.exec(select(SourceFile))) == []


async def test_deleting_the_project_removes_its_clone(tenants: TenantFactory, git_server: GitServer) -> None:
    from nyx_app.services import projects

    sample_repo(git_server)
    acct, project_id = await new_project(tenants)
    await import_and_sync(acct, project_id, git_server.repo_url("app"))
    assert paths.git_dir(acct.ctx.tenant_id, project_id).exists()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await projects.delete_project(s, acct.ctx, project_id)
    assert not paths.project_dir(acct.ctx.tenant_id, project_id).exists()


async def test_git_is_pinned_to_the_checked_address_and_a_rebinding_name_is_refused(
    tenants: TenantFactory, git_server: GitServer, fake_dns: FakeDNS
) -> None:
    sample_repo(git_server)
    port = git_server.url.rsplit(":", 1)[1]
    acct, project_id = await new_project(tenants)
    # No real resolver knows this name: git reaches the server only through the pinned address.
    fake_dns.add("git.example", "127.0.0.1")
    run = await import_and_sync(acct, project_id, f"http://git.example:{port}/app.git")
    assert run.status == RunStatus.SUCCEEDED.value, run.error
    # Public when saved, private when synced: refused at sync time, in words.
    fake_dns.play("rebind.example", ["127.0.0.1"], ["10.1.2.3"])
    run = await import_and_sync(acct, project_id, f"http://rebind.example:{port}/app.git")
    assert run.status == RunStatus.FAILED.value and "private address (10.1.2.3)" in run.error, run.error


def test_a_workflow_a_person_writes_cannot_name_a_built_in_step() -> None:
    definition = WorkflowDefinition(steps=[StepDef(key="sync", kind=StepKind.TOOL, tool="code_sync")])
    messages = [p.message for p in problems(definition)]
    assert any("built into the app" in m for m in messages)


async def test_a_patch_from_search_replace_edits_passes_git_apply_check_and_a_mismatch_is_refused(
    tenants: TenantFactory, git_server: GitServer
) -> None:
    repo = sample_repo(git_server)
    acct, project_id = await new_project(tenants)
    await import_and_sync(acct, project_id, git_server.repo_url("app"))
    async with transaction(acct.ctx.tenant_id) as s:
        patch = await patches.build_patch(
            s, acct.ctx, project_id, "src/app/main.py", [patches.Edit("    return 1\n", "    return 42\n")]
        )
        with pytest.raises(patches.EditMismatch, match="the text to replace is not in the file"):
            await patches.build_patch(s, acct.ctx, project_id, "src/app/main.py", [patches.Edit("nope", "x")])
    assert patch.startswith("--- a/src/app/main.py\n+++ b/src/app/main.py\n")
    assert "-    return 1\n+    return 42\n" in patch
    # The same patch applies to a real checkout of the synced commit.
    subprocess.run(["git", "apply", "-"], input=patch.encode(), cwd=repo.work, env=GIT_ENV, check=True)
    assert (repo.work / "src/app/main.py").read_text().startswith("def main():\n    return 42\n")
    # A patch made for other text is refused by git itself, in words.
    stale = patch.replace("-    return 1\n", "-    return 7\n")
    git_dir = paths.git_dir(acct.ctx.tenant_id, project_id)
    async with transaction(acct.ctx.tenant_id) as s:
        source = await sources.get_source(s, acct.ctx, project_id)
    assert source is not None
    with pytest.raises(patches.EditMismatch, match="does not apply to the synced commit"):
        await patches.check_applies(git_dir, source.commit_sha, stale)
