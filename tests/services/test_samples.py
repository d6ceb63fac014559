from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.integrations.storage import LocalStorage
from nyx_app.services import memory, note_images, notes, samples
from tests.factories import TenantFactory


async def test_a_sample_project_has_notes_with_images_and_a_memory_entry(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    a = await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await samples.create_sample_project(s, a.ctx)
        again = await samples.create_sample_project(s, a.ctx)
    assert (project.name, again.name) == (samples.SAMPLE_NAME, f"{samples.SAMPLE_NAME} (2)")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        made = await notes.list_notes(s, a.ctx, project.id)
        images = [len(await note_images.list_images(s, a.ctx, n.id)) for n in made]
        entries = await memory.search(s, a.ctx, project_id=str(project.id))
    assert [n.title for n in made] == ["Start here", "Altitude alarm"]
    assert images == [2, 1]
    assert [e.title for e in entries] == [samples.MEMORY_TITLE]


async def test_the_sample_shows_the_whole_loop_recorded_and_free(
    tenants: TenantFactory, local_storage: LocalStorage
) -> None:
    from sqlalchemy import func
    from sqlmodel import select

    from nyx_app.models.llm import LlmCall
    from nyx_app.services.discussions import store as discussions
    from nyx_app.services.reports import store as reports
    from nyx_app.services.runs import views

    a = await tenants.create()
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await samples.create_sample_project(s, a.ctx)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        history = await views.run_history(s, a.ctx, project.id)
        [run] = [r for r in history if r.kind == "workflow"]
        view = await views.run_view(s, a.ctx, run.id)
        made = await reports.list_reports(s, a.ctx, project.id)
        talks = await discussions.list_discussions(s, a.ctx, project.id)
        calls = (await s.exec(select(func.count()).select_from(LlmCall))).one()
    # A finished flagship run: every step done, three plans, each plan tied to its sources.
    assert (view.status, view.title, view.cost_usd) == ("succeeded", "Image to implementation (sample, recorded)", 0)
    assert [(s.key, s.status) for s in view.steps] == [
        (k, "succeeded") for k in ("enrich", "action_points", "plan", "synthesis", "final")
    ]
    plan = next(s for s in view.steps if s.key == "plan")
    labels = ["Red descent gauge", "Alarm tone with a visual twin", "Highlighted abort button"]
    assert [i.label for i in plan.items] == labels
    assert [src.ref for src in plan.items[2].sources] == ["N1", "N2", "N1.2"]
    assert [c.covered for c in view.coverage] == [3]
    assert [r.title for r in made] == ["Run report: Image to implementation (sample, recorded)"]
    assert len(talks) == 1 and talks[0].title.startswith("Sample:") and talks[0].rounds == 1
    assert calls == 0  # recorded: no model was called, nothing was paid
    assert "coming soon" not in samples.WELCOME
