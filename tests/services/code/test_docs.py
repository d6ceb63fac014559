"""Docs runs: a README section and module overviews, saved as a report and offered as a patch of
the scan path's README.md that git applies (appended, created, or replaced between its markers)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.report import Report
from nyx_app.models.run import RunStatus
from nyx_app.services.code import docs, fixes, sources
from nyx_app.services.errors import Conflict
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.git_server import GitServer, Repo
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, run_to_end, workspace
from tests.services.code.test_fixes import CALC, applies
from tests.services.code.test_sync import sync_to_end

__all__ = ["_fake_llm_server", "fake_llm"]
ANSWER = {
    "title": "Calculator",
    "readme_section": f"Divides and sums. {docs.END} <script>alert(1)</script>",
    "modules": [{"path": "src/calc.py", "overview": "divide() and total()."}],
}


async def test_docs_run_writes_a_report_and_a_readme_patch_that_applies(
    tenants: TenantFactory, fake_llm: FakeLLM, git_server: GitServer, tmp_path: Path
) -> None:
    repo = Repo(git_server.root, "docs")
    repo.write("README.md", "# Calc\n\nOld words.")  # no newline at the end
    repo.write("src/calc.py", CALC)
    repo.commit("first")
    ws = await workspace(tenants, fake_llm, notes_count=1, images=0)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await sources.save_source(s, ws.ctx, ws.project_id, url=git_server.repo_url("docs"))
        sync = await sources.start_sync(s, ws.ctx, ws.project_id)
    assert (await sync_to_end(ws.account, sync.id)).status == RunStatus.SUCCEEDED.value

    fake_llm.script(MODEL, then=respond(lambda prompt: json.dumps(ANSWER)))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        run = await docs.start(s, ws.ctx, ws.project_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(Conflict, match="Documentation of this project is being written"):
            await docs.start(s, ws.ctx, ws.project_id)
    done = await run_to_end(ws, run.id)
    assert done.status == RunStatus.SUCCEEDED.value, done.error
    assert "src/calc.py:" in fake_llm.prompts(MODEL)[0] and "def divide" in fake_llm.prompts(MODEL)[0]

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        found = await fixes.view(s, ws.ctx, run.id)
        report = (await s.exec(select(Report).where(Report.writer_run_id == run.id))).one()
    patch = fixes.combined_patch(found)
    assert "+<!-- nyx:docs begin -->" in patch and "+## Calculator" in patch and "+#### `src/calc.py`" in patch
    assert patch.count(docs.END) == 1  # the model's own marker was taken out
    applies(repo, patch, tmp_path)
    assert (report.kind, report.title) == ("docs", "Calculator")
    assert "divide() and total()." in report.markdown and "<script>" not in report.html


def test_a_later_section_replaces_the_one_between_the_markers_and_a_missing_readme_is_created(
    tmp_path: Path,
) -> None:
    first, _ = docs.compose({"title": "One", "readme_section": "First.", "modules": []})
    second, _ = docs.compose({"title": "Two", "readme_section": "Second.", "modules": []})
    readme = docs.placed("# App\n", first) + "## Licence\n\nMIT\n"
    again = docs.placed(readme, second)
    assert "First." not in again and "Second." in again and again.endswith("## Licence\n\nMIT\n")
    assert again.count(docs.BEGIN) == 1
    created = docs.created("src/README.md", first)
    assert created.startswith("diff --git a/src/README.md b/src/README.md\nnew file mode 100644\n--- /dev/null\n")
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    subprocess.run(["git", "apply", "--check", "-"], cwd=tmp_path, input=created.encode(), check=True)
