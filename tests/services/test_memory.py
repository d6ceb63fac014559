import pytest

from nyx_app.db.session import transaction
from nyx_app.services import memory, projects
from nyx_app.services.errors import InvalidInput, NotFound
from tests.factories import Account, TenantFactory


async def _add(a: Account, title: str, content: str, tags: str = "", project_id: str | None = None):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await memory.create_entry(s, a.ctx, title=title, content=content, tags=tags, project_id=project_id)


async def _search(a: Account, query: str) -> list[str]:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return [e.title for e in await memory.search(s, a.ctx, query)]


async def test_full_text_search_finds_stemmed_words_and_tags(tenants: TenantFactory) -> None:
    a = await tenants.create()
    await _add(a, "Deploy steps", "Always push before deploying to production", "ops, Deploy")
    await _add(a, "Vector column", "db push drops the embedding column", "database")
    assert await _search(a, "deployed") == ["Deploy steps"]  # stemming: deployed ~ deploying
    assert await _search(a, "embedding column") == ["Vector column"]
    assert await _search(a, "database") == ["Vector column"]  # tag match
    assert await _search(a, "kubernetes") == []
    assert sorted(await _search(a, "")) == ["Deploy steps", "Vector column"]
    assert await _search(a, '"push before" -embedding') == ["Deploy steps"]  # websearch syntax


async def test_edit_and_delete_with_tags_normalised(tenants: TenantFactory) -> None:
    a = await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "P")
    entry = await _add(a, "Note", "text", " B, a ,b ")
    assert entry.tags == ["b", "a"]
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        updated = await memory.update_entry(
            s, a.ctx, entry.id, title="Note 2", content="more", tags="x", project_id=str(project.id)
        )
    assert (updated.title, updated.tags, updated.project_id) == ("Note 2", ["x"], project.id)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await memory.delete_entry(s, a.ctx, entry.id)
    assert await _search(a, "") == []


async def test_bad_input_and_other_tenants(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    with pytest.raises(InvalidInput, match="Title cannot be empty"):
        await _add(a, "", "content")
    with pytest.raises(InvalidInput, match="too long"):
        await _add(a, "T", "c", "x" * 41)
    secret = await _add(a, "Secret", "classified words")
    assert await _search(b, "classified") == []
    with pytest.raises(NotFound):
        async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
            await memory.delete_entry(s, b.ctx, secret.id)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "A's project")
    with pytest.raises(NotFound, match="Project not found"):
        await _add(b, "Link to A", "x", project_id=str(project.id))
