"""Why Start is not possible, said before the click, with where to fix it — and the click refused
in the same words."""

from __future__ import annotations

import pytest

from nyx_app.db.session import transaction
from nyx_app.services import notes, projects
from nyx_app.services.errors import InvalidInput
from nyx_app.services.llm import credentials
from nyx_app.services.runs import control, readiness
from nyx_app.services.runs.readiness import Fix
from nyx_app.services.workflows import store
from nyx_app.services.workflows.builtin import FLAGSHIP
from tests.factories import Account, TenantFactory
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import Workspace, start, steps, workflow, workspace


async def _readiness(acct: Account, workflow_id) -> readiness.Readiness:  # type: ignore[no-untyped-def]
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        wf = await store.get_workflow(s, acct.ctx, workflow_id)
        project = await projects.get_project(s, acct.ctx, wf.project_id)
        return await readiness.workflow_readiness(s, acct.ctx, wf, project)


async def _bare_workspace(tenants: TenantFactory, *, with_note: bool = True) -> tuple[Account, object]:
    acct = await tenants.create()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        project = await projects.create_project(s, acct.ctx, "Bare")
        if with_note:
            await notes.create_note(s, acct.ctx, project.id, "Login", "The login page needs work.")
        wf = await store.create_workflow(s, acct.ctx, project.id, template=FLAGSHIP)
    return acct, wf.id


async def test_without_a_provider_start_says_so_and_points_to_providers(tenants: TenantFactory) -> None:
    acct, wf_id = await _bare_workspace(tenants)
    ready = await _readiness(acct, wf_id)
    assert not ready.ready
    assert [b.fix for b in ready.blockers] == [Fix.PROVIDERS]
    assert ready.blockers[0].fix_label == "Add a provider"
    with pytest.raises(InvalidInput, match="No LLM provider is set up"):
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await control.start_workflow_run(s, acct.ctx, wf_id)


async def test_an_endpoint_added_later_makes_the_same_project_ready(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    acct, wf_id = await _bare_workspace(tenants)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await credentials.save_endpoint(s, acct.ctx, "local", fake_llm.openai_base, "llama3.1:8b")
    ready = await _readiness(acct, wf_id)
    assert ready.ready and ready.model.ref == "local/llama3.1:8b" and ready.model.automatic
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        run = await control.start_workflow_run(s, acct.ctx, wf_id)
    assert run.status == "pending"


async def test_a_chosen_model_whose_provider_went_away_points_to_the_project_model(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)  # anthropic only; the project was stamped with its model
    wf_id = await workflow(ws, template=FLAGSHIP)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await credentials.save_endpoint(s, ws.ctx, "local", fake_llm.openai_base, "llama3.1:8b")
        anthropic = await credentials._by_name(s, "anthropic")
        assert anthropic is not None
        await credentials.remove_provider(s, ws.ctx, anthropic.id)
    ready = await _readiness(ws.account, wf_id)
    assert [b.fix for b in ready.blockers] == [Fix.PROJECT_MODEL]
    assert "anthropic/claude-sonnet-4-6" in ready.blockers[0].message
    with pytest.raises(InvalidInput, match=r"This project's model \(anthropic/claude-sonnet-4-6\) is not available"):
        await start(ws, wf_id)


async def test_a_workflow_that_needs_notes_points_to_the_notes(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    ready = await _readiness(ws.account, await workflow(ws, template=FLAGSHIP))
    assert [b.fix for b in ready.blockers] == [Fix.NOTES]


async def test_a_broken_step_model_points_to_the_editor(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws: Workspace = await workspace(tenants, fake_llm)
    wf_id = await workflow(ws)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        wf = await store.get_workflow(s, ws.ctx, wf_id)
        wf.definition = steps({"key": "a", "prompt": "A", "model": "gemini/gemini-2.5-pro"})
        s.add(wf)
    ready = await _readiness(ws.account, wf_id)
    assert [b.fix for b in ready.blockers] == [Fix.WORKFLOW]
    assert ready.blockers[0].message == "The workflow has 1 problem to fix first."


async def test_a_running_workflow_links_to_its_run(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    wf_id = await workflow(ws, definition=steps({"key": "a", "prompt": "A"}))
    run_id = await start(ws, wf_id)
    ready = await _readiness(ws.account, wf_id)
    assert [(b.fix, b.run_id) for b in ready.blockers] == [(Fix.ACTIVE_RUN, str(run_id))]
