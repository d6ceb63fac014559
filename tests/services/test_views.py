"""Page-level reads: what a page shows, from one transaction."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.services import notes, projects, views
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
