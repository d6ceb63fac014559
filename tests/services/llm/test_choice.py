"""The workspace's first reachable model: what a new project uses when nobody chose one."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.models.llm import ProviderStatus
from nyx_app.services import projects
from nyx_app.services.llm import choice, credentials, preferences
from tests.factories import Account, TenantFactory


async def _endpoint(acct: Account, name: str = "local", models: str = "llama3.1:8b, qwen3") -> None:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await credentials.save_endpoint(s, acct.ctx, name, "http://127.0.0.1:9/v1", models)


async def _key(acct: Account, provider: str) -> None:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await credentials.save_key(s, acct.ctx, provider, f"sk-test-{provider}-0000abcd")


async def _new_project(acct: Account, name: str):  # type: ignore[no-untyped-def]
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        project = await projects.create_project(s, acct.ctx, name)
        return project, await choice.project_model(s, project)


async def test_a_project_made_in_an_endpoint_only_workspace_uses_the_endpoint(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    await _endpoint(acct)
    project, model = await _new_project(acct, "First")
    assert project.llm_model == "local/llama3.1:8b"  # the endpoint's first model, not a provider it lacks
    assert model == choice.ModelChoice("local/llama3.1:8b", automatic=False)


async def test_a_project_made_before_any_provider_follows_the_first_one_added(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    project, model = await _new_project(acct, "Early")
    assert project.llm_model == "" and model.ref == "" and "no provider" in model.label
    await _endpoint(acct)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        now = await choice.project_model(s, await projects.get_project(s, acct.ctx, project.id))
    assert now == choice.ModelChoice("local/llama3.1:8b", automatic=True)
    assert now.label == "local/llama3.1:8b (automatic: the workspace's first model)"


async def test_the_fallback_chain_comes_first_then_providers_in_the_order_added(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    await _key(acct, "openai")
    await _endpoint(acct)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        assert await choice.first_reachable(s) == "openai/gpt-4.1-mini"  # added first: its default model
        await preferences.set_fallback_order(s, acct.ctx, ["anthropic/claude-opus-4-6", "local/qwen3"])
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        # The chain's first model whose provider is set up (anthropic is not).
        assert await choice.first_reachable(s) == "local/qwen3"


async def test_a_provider_known_to_be_unusable_is_chosen_last(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    await _key(acct, "anthropic")
    await _endpoint(acct)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await credentials.mark_status(s, acct.ctx, "anthropic", None, "")
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        assert await choice.first_reachable(s) == "anthropic/claude-sonnet-4-6"
        row = await credentials._by_name(s, "anthropic")
        assert row is not None
        row.status = ProviderStatus.INVALID_KEY
        s.add(row)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        assert await choice.first_reachable(s) == "local/llama3.1:8b"


async def test_another_workspaces_providers_are_never_chosen(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    await _endpoint(a)
    project, model = await _new_project(b, "Mine")
    assert project.llm_model == "" and model.ref == ""


async def test_going_back_to_automatic(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    await _endpoint(acct)
    project, _ = await _new_project(acct, "Pinned")
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await projects.set_model(s, acct.ctx, project.id, "local/qwen3")
        changed = await projects.set_model(s, acct.ctx, project.id, "")
        assert changed.llm_model == ""
        assert (await choice.project_model(s, changed)).ref == "local/llama3.1:8b"
