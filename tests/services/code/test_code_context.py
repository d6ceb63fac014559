"""``{{repo_map}}`` and ``{{files}}`` in a workflow's prompt: the project's synced repository
reaches the model (the fake LLM server records what it was sent)."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.models.run import RunStatus
from nyx_app.services.code import sources
from nyx_app.services.engine import code_context
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.git_server import GitServer
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, run_to_end, start, steps, workflow, workspace
from tests.services.code.test_sync import sample_repo, sync_to_end

__all__ = ["_fake_llm_server", "fake_llm"]


async def test_a_workflow_prompt_gets_the_repository_map_and_chosen_files(
    tenants: TenantFactory, fake_llm: FakeLLM, git_server: GitServer
) -> None:
    sample_repo(git_server)
    ws = await workspace(tenants, fake_llm, notes_count=1, images=0)
    definition = steps({"key": "look", "prompt": "Map:\n{{ repo_map }}\nFiles:\n{{ files }}"})
    fake_llm.script(MODEL, then=respond(lambda prompt: "ok"))
    before = await run_to_end(ws, await start(ws, await workflow(ws, definition=definition)))
    assert before.status == RunStatus.SUCCEEDED, before.error
    assert code_context.NO_REPOSITORY in fake_llm.prompts(MODEL)[0]

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await sources.save_source(s, ws.ctx, ws.project_id, url=git_server.repo_url("app"))
        sync = await sources.start_sync(s, ws.ctx, ws.project_id)
    await sync_to_end(ws.account, sync.id)
    run = await run_to_end(ws, await start(ws, await workflow(ws, definition=definition)))
    assert run.status == RunStatus.SUCCEEDED, run.error
    prompt = fake_llm.prompts(MODEL)[-1]
    assert "src/app/main.py:" in prompt and "def main():" in prompt
    assert code_context.NO_FILES in prompt

    chosen = await code_context.variables(
        ws.ctx, ws.project_id, {"files": ["src/app/main.py", "src/assets/logo.png"]}, ["files"]
    )
    assert "### src/app/main.py\n```\ndef main():" in chosen["files"]
    assert "### src/assets/logo.png\n(This file is not shown: binary.)" in chosen["files"]
