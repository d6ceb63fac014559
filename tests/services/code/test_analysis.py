"""Code analysis: a run over the repository map whose answer becomes the project's code patterns,
searchable as knowledge items; the engine's guards refuse a second one while one runs or within
3 minutes of the last, saying where its patterns are."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.models.run import RunStatus
from nyx_app.services.code import analysis, sources
from nyx_app.services.errors import Conflict, InvalidInput
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.git_server import GitServer
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, run_to_end, workspace
from tests.services.code.test_sync import sample_repo, sync_to_end

__all__ = ["_fake_llm_server", "fake_llm"]
ANSWER = [
    {"category": "architecture", "title": "One entry point", "text": "main() starts everything.",
     "files": ["src/app/main.py"]},
    {"category": "risk", "title": "Vendored code in the tree", "text": "node_modules is committed.",
     "files": ["node_modules/left-pad/index.js"]},
]  # fmt: skip


async def test_analysis_stores_searchable_patterns_and_the_guards_hold(
    tenants: TenantFactory, fake_llm: FakeLLM, git_server: GitServer
) -> None:
    sample_repo(git_server)
    ws = await workspace(tenants, fake_llm, notes_count=1, images=0)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(InvalidInput, match="Sync the project's repository first"):
            await analysis.start(s, ws.ctx, ws.project_id)
        await sources.save_source(s, ws.ctx, ws.project_id, url=git_server.repo_url("app"))
        sync = await sources.start_sync(s, ws.ctx, ws.project_id)
    await sync_to_end(ws.account, sync.id)

    fake_llm.script(MODEL, then=respond(lambda prompt: json.dumps(ANSWER)))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        run = await analysis.start(s, ws.ctx, ws.project_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        with pytest.raises(Conflict, match="A code analysis of this project is running"):
            await analysis.start(s, ws.ctx, ws.project_id)
    done = await run_to_end(ws, run.id)
    assert done.status == RunStatus.SUCCEEDED, done.error
    assert "src/app/main.py:" in fake_llm.prompts(MODEL)[-1]  # the map was its material

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        found = await analysis.patterns(s, ws.ctx, ws.project_id)
        items = (
            await s.execute(text("SELECT title, body FROM knowledge_item WHERE kind = 'code_pattern' ORDER BY title"))
        ).all()
        with pytest.raises(Conflict, match="finished less than 3 minutes ago: its code patterns are on the Sources"):
            await analysis.start(s, ws.ctx, ws.project_id)
    assert [(p.category, p.title, p.files) for p in found] == [
        ("architecture", "One entry point", ["src/app/main.py"]),
        ("risk", "Vendored code in the tree", ["node_modules/left-pad/index.js"]),
    ]
    assert [t for t, _b in items] == ["One entry point", "Vendored code in the tree"]
    assert "Files: src/app/main.py" in items[0][1]

    other = await tenants.create()
    async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
        assert (await s.execute(text("SELECT count(*) FROM code_pattern"))).scalar_one() == 0
