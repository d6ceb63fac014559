import pytest

from nyx_app.db.session import transaction
from nyx_app.services import projects
from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound
from tests.factories import Account, TenantFactory


async def _create(a: Account, name: str, description: str = ""):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await projects.create_project(s, a.ctx, name, description)


async def _list(a: Account) -> list[str]:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return [p.name for p in await projects.list_projects(s, a.ctx)]


async def test_create_rename_describe_publish_delete(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _create(a, "  Apollo  ", "moon")
    assert project.name == "Apollo"
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        updated = await projects.update_project(
            s, a.ctx, project.id, name="Artemis", description="again", published=True
        )
    assert (updated.name, updated.description, updated.published) == ("Artemis", "again", True)
    assert await _list(a) == ["Artemis"]
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await projects.delete_project(s, a.ctx, project.id)
    assert await _list(a) == []


@pytest.mark.parametrize(
    ("name", "message"), [("", "cannot be empty"), ("   ", "cannot be empty"), ("x" * 121, "too long")]
)
async def test_bad_names_are_refused_and_nothing_is_written(tenants: TenantFactory, name: str, message: str) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidInput, match=message):
        await _create(a, name)
    assert await _list(a) == []


async def test_duplicate_name_in_a_tenant_is_refused_but_allowed_across_tenants(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    await _create(a, "Same")
    with pytest.raises(InvalidInput, match="already exists"):
        await _create(a, "Same")
    await _create(b, "Same")
    assert await _list(a) == ["Same"] and await _list(b) == ["Same"]


async def test_another_tenants_project_is_simply_not_found(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    project = await _create(a, "Private")
    for attempt in (
        lambda s: projects.get_project(s, b.ctx, project.id),
        lambda s: projects.update_project(s, b.ctx, project.id, name="Mine now"),
        lambda s: projects.delete_project(s, b.ctx, project.id),
        lambda s: projects.get_project(s, b.ctx, "not-a-uuid"),
    ):
        with pytest.raises(NotFound, match="Project not found"):
            async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
                await attempt(s)
    assert await _list(a) == ["Private"]


async def test_scan_path_empty_means_root_shown_as_slash(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _create(a, "Repo")
    assert projects.display_scan_path(project.github_path) == "/"
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        p = await projects.update_project(
            s, a.ctx, project.id, github_url="https://github.com/org/repo.git", github_path="/src/app/"
        )
    assert (p.github_url, p.github_path, projects.display_scan_path(p.github_path)) == (
        "https://github.com/org/repo",
        "src/app",
        "/src/app",
    )
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        p = await projects.update_project(s, a.ctx, project.id, github_path="/")
    assert p.github_path == "" and projects.display_scan_path(p.github_path) == "/"


@pytest.mark.parametrize(
    ("url", "path"), [("http://github.com/a/b", ""), ("https://gitlab.com/a/b", ""), ("", "../etc"), ("", "a/./b")]
)
async def test_bad_repository_settings_are_refused(tenants: TenantFactory, url: str, path: str) -> None:
    a = await tenants.create()
    project = await _create(a, "Repo")
    with pytest.raises(InvalidInput):
        async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
            await projects.update_project(s, a.ctx, project.id, github_url=url, github_path=path)


async def test_a_new_project_without_providers_is_automatic_and_its_model_can_be_chosen(
    tenants: TenantFactory,
) -> None:
    from nyx_app.models.project import DEFAULT_PROJECT_MODEL

    assert DEFAULT_PROJECT_MODEL == ""  # automatic: the workspace's first reachable model (tests/services/llm)
    a = await _create_account_with_project(tenants)
    account, project = a
    assert project.llm_model == ""
    async with transaction(account.ctx.tenant_id, account.ctx.user_id) as s:
        changed = await projects.set_model(s, account.ctx, project.id, "openai/gpt-4.1-mini")
    assert changed.llm_model == "openai/gpt-4.1-mini"
    with pytest.raises(InvalidInput, match="Unknown model"):
        async with transaction(account.ctx.tenant_id, account.ctx.user_id) as s:
            await projects.set_model(s, account.ctx, project.id, "openai/gpt-0-imaginary")


async def test_choosing_a_provider_selects_its_default_for_new_projects() -> None:
    assert projects.default_model_of("anthropic", []) == "anthropic/claude-sonnet-4-6"
    assert projects.default_model_of("openai", []) == "openai/gpt-4.1-mini"
    assert projects.default_model_of("local", ["other/x", "local/llama3", "local/qwen"]) == "local/llama3"


async def test_another_tenant_cannot_change_a_projects_model(tenants: TenantFactory) -> None:
    (_, project), b = await _create_account_with_project(tenants), await tenants.create()
    with pytest.raises(NotFound):
        async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
            await projects.set_model(s, b.ctx, project.id, "openai/gpt-4.1-mini")


async def _create_account_with_project(tenants: TenantFactory):
    account = await tenants.create()
    return account, await _create(account, "Modelled")


async def test_every_bad_field_of_a_project_is_reported_at_once(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _create(a, "Taken")
    other = await _create(a, "Mine")
    with pytest.raises(InvalidFields) as refused:
        async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
            await projects.update_project(
                s, a.ctx, other.id, name="Taken", github_url="http://gitlab.com/x", github_path="../up"
            )
    assert set(refused.value.fields) == {"name", "github_url", "github_path"}
    assert "already exists" in refused.value.fields["name"]
    with pytest.raises(InvalidFields) as refused:
        await _create(a, "", "d" * 2001)
    assert set(refused.value.fields) == {"name", "description"}
    assert project.name == "Taken"
