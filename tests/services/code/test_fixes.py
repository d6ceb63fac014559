"""Auto-fix and refactor runs: issues found by the model (checked by a schema), selected by the
user at the run's review pause, fixed as patches that git applies to the synced commit (an edit
that does not match is asked once more, then reported), pushed as a branch to a bare repository
made in the test, and offered to the fake GitHub as a pull request."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.integrations import markdown
from nyx_app.models.run import NO_ITEM, Run, RunStatus, StepRun
from nyx_app.services.code import fixes, publish, sources
from nyx_app.services.code.fix_modes import FixMode
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.runs import control
from nyx_app.settings import get_settings
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.git_server import GitServer, Repo, git
from tests.fakes.github import FakeGitHub
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, Workspace, run_to_end, workspace
from tests.services.code.test_sync import sync_to_end

__all__ = ["_fake_llm_server", "fake_llm"]
CALC = "def divide(a, b):\n    return a / b\n\n\ndef total(items):\n    return sum(items)\n"
GREET = "def greet(name):\n    return 'Hello ' + name\n"
ISSUES = [
    {"title": "Division by zero", "file": "src/calc.py", "start_line": 1, "end_line": 2, "severity": "high",
     "category": "bug", "explanation": "b may be 0."},
    {"title": "Greeting needs a retry", "file": "src/greet.py", "start_line": 1, "end_line": 2,
     "severity": "low", "category": "correctness", "explanation": "name may be None."},
    {"title": "Outside the scan path", "file": "../../etc/passwd", "start_line": 1, "end_line": 1,
     "severity": "critical", "category": "security", "explanation": "<script>alert(1)</script>"},
    {"title": "Never fits", "file": "src/calc.py", "start_line": 5, "end_line": 6, "severity": "medium",
     "category": "bug", "explanation": "items may be None."},
]  # fmt: skip


def model_answer(prompt: str) -> str:
    if "Find defects" in prompt:
        return json.dumps(ISSUES)
    if "Division by zero" in prompt:
        edits = [
            {
                "search": "    return a / b\n",
                "replace": "    if b == 0:  # <img src=x onerror=alert(1)>\n        return None\n    return a / b\n",
            }
        ]
        return json.dumps({"rationale": "Guard <b>zero</b>.", "edits": edits})
    if "Greeting needs a retry" in prompt:
        search = "return 'Hello ' + name" if "could not be applied" in prompt else "return 'Hi ' + name"
        return json.dumps(
            {"rationale": "None-safe.", "edits": [{"search": search, "replace": "return f'Hello {name}'"}]}
        )
    return json.dumps({"rationale": "?", "edits": [{"search": "not in the file", "replace": "x"}]})


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, git_server: GitServer) -> Iterator[FakeGitHub]:
    with FakeGitHub(git_server.token).running() as fake:
        monkeypatch.setenv("NYX_GITHUB_HOST", "127.0.0.1")
        monkeypatch.setenv("NYX_GITHUB_API_URL", fake.url)
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


async def synced(tenants: TenantFactory, fake_llm: FakeLLM, git_server: GitServer) -> tuple[Workspace, Repo]:
    repo = Repo(git_server.root, "private-acme/app")
    repo.write("src/calc.py", CALC)
    repo.write("src/greet.py", GREET)
    repo.commit("first")
    ws = await workspace(tenants, fake_llm, notes_count=1, images=0)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        url = f"{git_server.url}/private-acme/app.git"
        await sources.save_source(s, ws.ctx, ws.project_id, url=url, token=git_server.token)
        sync = await sources.start_sync(s, ws.ctx, ws.project_id)
    assert (await sync_to_end(ws.account, sync.id)).status == RunStatus.SUCCEEDED.value
    return ws, repo


def applies(repo: Repo, patch: str, where: Path) -> None:
    clone = where / "check"
    subprocess.run(["git", "clone", "--quiet", str(repo.bare), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "apply", "--check", "-"], cwd=clone, input=patch.encode(), check=True)


async def test_autofix_selects_fixes_pushes_and_opens_a_pull_request(
    tenants: TenantFactory, fake_llm: FakeLLM, git_server: GitServer, github: FakeGitHub, tmp_path: Path
) -> None:
    ws, repo = await synced(tenants, fake_llm, git_server)
    fake_llm.script(MODEL, then=respond(model_answer))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        run = await fixes.start(s, ws.ctx, ws.project_id, FixMode.AUTOFIX)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(Conflict, match="An auto-fix of this project is under way"):
            await fixes.start(s, ws.ctx, ws.project_id, FixMode.AUTOFIX)
    waiting = await run_to_end(ws, run.id)
    assert waiting.status == RunStatus.WAITING.value, waiting.error
    assert "src/calc.py" in fake_llm.prompts(MODEL)[0] and CALC.splitlines()[1] in fake_llm.prompts(MODEL)[0]

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        found = await fixes.view(s, ws.ctx, run.id)
        assert found.waiting and [i["title"] for i in found.issues] == [i["title"] for i in ISSUES]
        with pytest.raises(NotFound, match="not one this run found"):
            await fixes.select_issues(s, ws.ctx, run.id, [0, 4])
        with pytest.raises(InvalidInput, match="Select at least one issue"):
            await fixes.select_issues(s, ws.ctx, run.id, [])
    other = await tenants.create()
    async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
        with pytest.raises(NotFound):
            await fixes.select_issues(s, other.ctx, run.id, [0])
        with pytest.raises(NotFound):
            await publish.push_branch(s, other.ctx, run.id, "nyx/stolen")
        assert await sources.get_source(s, other.ctx, ws.project_id) is None  # the repository and its token

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await fixes.select_issues(s, ws.ctx, run.id, [0, 1, 2, 3])
    done = await run_to_end(ws, run.id)
    assert done.status == RunStatus.SUCCEEDED.value, done.error

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        found = await fixes.view(s, ws.ctx, run.id)
        fix_row = (
            await s.exec(
                select(StepRun).where(StepRun.run_id == run.id, StepRun.key == "fix", StepRun.item_index == NO_ITEM)
            )
        ).one()
    by_title = {i["title"]: i for i in found.items}
    assert "+    if b == 0:" in by_title["Division by zero"]["patch"]
    shown = markdown.render(sources.as_markdown(by_title["Division by zero"]["patch"], "diff"))  # as the page does
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert by_title["Division by zero"]["rationale"] == "Guard <b>zero</b>."
    assert "return f'Hello {name}'" in by_title["Greeting needs a retry"]["patch"]  # the second try fitted
    assert any("could not be applied: Edit 1 of src/greet.py" in p for p in fake_llm.prompts(MODEL))
    assert by_title["Outside the scan path"]["patch"] == ""
    assert "is not a file the sync read under the scan path" in by_title["Outside the scan path"]["error"]
    assert by_title["Never fits"]["patch"] == ""
    assert "did not fit the file twice" in by_title["Never fits"]["error"]
    assert fix_row.tokens_in > 0 and "2 of 4 issues have a patch" in fix_row.output
    patch = fixes.combined_patch(found)
    assert patch.count("diff") == 0 and patch.count("--- a/") == 2
    applies(repo, patch, tmp_path)

    with pytest.raises(InvalidInput, match="letters, digits"):
        publish.check_branch("nyx/$(touch pwned);x")
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(InvalidInput, match="Push a branch first"):
            await publish.open_pull_request(s, ws.ctx, run.id, "")
        sha = await publish.push_branch(s, ws.ctx, run.id, "nyx/autofix-1")
    assert git("--git-dir", str(repo.bare), "rev-parse", "refs/heads/nyx/autofix-1", cwd=tmp_path) == sha
    pushed = git("--git-dir", str(repo.bare), "show", "nyx/autofix-1:src/calc.py", cwd=tmp_path)
    assert "if b == 0:" in pushed
    assert all(git_server.token not in path for path, _auth in git_server.requests)

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        url = await publish.open_pull_request(s, ws.ctx, run.id, "Fix division")
    (pull,) = github.received
    assert pull.path == "/repos/private-acme/app/pulls"
    assert pull.headers["Authorization"] == f"Bearer {git_server.token}"
    assert pull.body["head"] == "nyx/autofix-1" and pull.body["base"] == "main" and pull.body["title"] == "Fix division"
    assert "Division by zero" in pull.body["body"]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        kept = await s.get(Run, run.id)
        assert kept is not None and kept.inputs["published"]["pull_request"] == url


async def test_hostile_detection_fails_the_step_in_words_and_a_wrong_token_is_never_echoed(
    tenants: TenantFactory, fake_llm: FakeLLM, git_server: GitServer, tmp_path: Path
) -> None:
    ws, _repo = await synced(tenants, fake_llm, git_server)
    fake_llm.script(MODEL, then=respond(lambda prompt: '[{"title": "<img src=x onerror=alert(1)>", "file": 3}]'))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        run = await fixes.start(s, ws.ctx, ws.project_id, FixMode.REFACTOR)
    failed = await run_to_end(ws, run.id)
    assert failed.status == RunStatus.FAILED.value
    assert "Find the refactorings" in failed.error
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(Conflict, match="not waiting for refactorings to be selected"):
            await fixes.select_issues(s, ws.ctx, run.id, [])
        with pytest.raises(InvalidInput, match="no checked patch yet"):
            await publish.push_branch(s, ws.ctx, run.id, "nyx/refactor")

    # A run with a patch, then a wrong token: git's refusal in words, the token nowhere in it.
    fake_llm.script(MODEL, then=respond(model_answer))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        run = await fixes.start(s, ws.ctx, ws.project_id, FixMode.AUTOFIX)
    await run_to_end(ws, run.id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:  # approved on the run page: every issue
        await control.approve_review(s, ws.ctx, run.id, fixes.SELECT, "All of them.")
    assert (await run_to_end(ws, run.id)).status == RunStatus.SUCCEEDED.value
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        assert len((await fixes.view(s, ws.ctx, run.id)).items) == len(ISSUES)
    secret = "wrong-SECRET-token-9876"
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await sources.save_source(s, ws.ctx, ws.project_id, url=f"{git_server.url}/private-acme/app.git", token=secret)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(InvalidInput) as refused:
            await publish.push_branch(s, ws.ctx, run.id, "nyx/autofix-2")
    assert "token" in refused.value.message and secret not in refused.value.message
    assert all(secret not in path for path, _auth in git_server.requests)
