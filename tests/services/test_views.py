"""Page-level reads: what a page shows, from one transaction."""

from __future__ import annotations

import pytest

from nyx_app.db.session import transaction
from nyx_app.services import notes, projects, views
from nyx_app.services.errors import NotFound
from nyx_app.services.llm import credentials
from tests.factories import TenantFactory


async def test_dashboard_counts_notes_and_knows_whether_a_provider_exists(tenants: TenantFactory) -> None:
    a = await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        empty = await views.dashboard(s, a.ctx)
        p = await projects.create_project(s, a.ctx, "P")
        await projects.create_project(s, a.ctx, "Q")
        n = await notes.create_note(s, a.ctx, p.id, "one")
        await notes.create_note(s, a.ctx, p.id, "two")
        await notes.set_public(s, a.ctx, n.id, True)
        await credentials.save_key(s, a.ctx, "openai", "sk-test-key")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        view = await views.dashboard(s, a.ctx)
    assert (empty.projects, empty.has_provider) == ([], False)
    assert {(x.project.name, x.notes, x.public_notes) for x in view.projects} == {("P", 2, 1), ("Q", 0, 0)}
    assert view.has_provider


async def test_project_and_note_pages_and_a_note_under_the_wrong_project(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        p = await projects.create_project(s, a.ctx, "P")
        q = await projects.create_project(s, a.ctx, "Q")
        n = await notes.create_note(s, a.ctx, p.id, "N")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        page = await views.project_page(s, a.ctx, p.id)
        note = await views.note_page(s, a.ctx, str(p.id), str(n.id))
        with pytest.raises(NotFound):
            await views.note_page(s, a.ctx, str(q.id), str(n.id))
    assert ([x.title for x in page.notes], page.providers) == (["N"], [])
    assert (note.note.title, note.project_name, note.images) == ("N", "P", [])
    async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
        with pytest.raises(NotFound):
            await views.project_page(s, b.ctx, p.id)
        with pytest.raises(NotFound):
            await views.note_page(s, b.ctx, str(p.id), str(n.id))
