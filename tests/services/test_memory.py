import pytest

from nyx_app.db.session import transaction
from nyx_app.services import memory, projects
from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound
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


async def test_search_pages_in_sql_with_a_total_and_more_on_demand(tenants: TenantFactory) -> None:
    a = await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        for i in range(7):
            await memory.create_entry(s, a.ctx, title=f"Rocket {i}", content="fuel and oxygen", tags="rockets")
        await memory.create_entry(s, a.ctx, title="Garden", content="tomatoes", tags="home")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        first = await memory.search_page(s, a.ctx, "fuel", limit=3)
        rest = await memory.search_page(s, a.ctx, "fuel", offset=3, limit=10)
        everything = await memory.search_page(s, a.ctx, "", limit=3)
    assert (first.total, len(first.hits), first.has_more) == (7, 3, True)
    assert (rest.total, len(rest.hits), rest.has_more) == (7, 4, False)
    assert {h.entry.title for h in first.hits} | {h.entry.title for h in rest.hits} == {f"Rocket {i}" for i in range(7)}
    assert (everything.total, everything.marks) == (8, None)


async def test_matches_are_marked_and_entries_carry_author_project_and_dates(tenants: TenantFactory) -> None:
    a = await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "Apollo")
        await memory.create_entry(
            s,
            a.ctx,
            title="Deploy <b>steps</b>",
            content="Always push before deploying. " + "Filler words here. " * 40 + "Deployment is done.",
            project_id=str(project.id),
        )
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        found = await memory.search_page(s, a.ctx, "deploy")
    hit = found.hits[0]
    marks = found.marks
    assert marks is not None and marks.start.isalnum() and marks.stop.isalnum() and marks.start != marks.stop
    assert hit.title_marked == f"{marks.start}Deploy{marks.stop} <b>steps</b>"
    assert f"{marks.start}deploying{marks.stop}" in hit.snippet_marked
    assert len(hit.snippet_marked) < len(hit.entry.content)  # passages, not the whole text
    assert (hit.author, hit.project_name) == ("User " + a.email.removeprefix("user").split("@")[0], "Apollo")
    assert hit.entry.created_at is not None
    again = await _search_marks(a)
    assert again != marks  # fresh markers for every search


async def _search_marks(a: Account):
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return (await memory.search_page(s, a.ctx, "deploy")).marks


async def test_tags_filter_and_the_most_used_tags_are_counted(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    await _add(a, "One", "x", "ops, db")
    await _add(a, "Two", "x", "ops")
    await _add(a, "Three", "y", "db, ops")
    await _add(b, "Theirs", "x", "ops, secret")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        tags = await memory.top_tags(s, a.ctx)
        ops = await memory.search_page(s, a.ctx, tag="OPS")
        db_x = await memory.search_page(s, a.ctx, "x", tag="db")
        view = await memory.hub(s, a.ctx, "", tag="db")
    assert [(t.tag, t.count) for t in tags] == [("ops", 3), ("db", 2)]  # nothing of tenant B
    assert ops.total == 3
    assert [h.entry.title for h in db_x.hits] == ["One"]
    assert view.results.total == 2 and [t.tag for t in view.tags] == ["ops", "db"]


async def test_several_bad_fields_are_reported_together(tenants: TenantFactory) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidFields) as refused:
        await _add(a, "", "ok", "y" * 41)
    assert set(refused.value.fields) == {"title", "tags"}
