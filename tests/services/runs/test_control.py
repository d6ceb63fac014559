"""Starting and steering runs: the guards, cancel in every state, resume, retry, and reviews."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.models.run import RunStatus
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.runs import control, views
from nyx_app.services.workflows import store
from nyx_app.services.workflows.builtin import ANALYSE_REVIEW, FLAGSHIP
from tests.factories import TenantFactory
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, empty, respond
from tests.runs_helpers import MODEL, load_run, run_to_end, start, statuses, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


async def queued_jobs(run_id) -> int:  # type: ignore[no-untyped-def]
    async with transaction() as s:
        return int(
            (
                await s.execute(
                    text("SELECT count(*) FROM procrastinate_jobs WHERE args->>'run_id' = :r AND status = 'todo'"),
                    {"r": str(run_id)},
                )
            ).scalar_one()
        )


async def test_starting_queues_exactly_one_job_in_the_same_transaction(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    wf = await workflow(ws, definition=steps({"key": "a", "prompt": "A"}))
    with pytest.raises(RuntimeError):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.start_workflow_run(s, ws.ctx, wf)
            raise RuntimeError("the request failed after the start")
    async with transaction() as s:
        # Run jobs only: saving searchable rows queues the knowledge embedding job too.
        run_jobs = text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'nyx.run'")
        assert (await s.execute(run_jobs)).scalar_one() == 0
    run_id = await start(ws, wf)
    assert await queued_jobs(run_id) == 1


async def test_a_workflow_cannot_run_twice_at_once_even_when_both_clicks_race(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    wf = await workflow(ws, definition=steps({"key": "a", "prompt": "A"}))
    results = await asyncio.gather(start(ws, wf), start(ws, wf), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "UUID"]
    conflict = next(r for r in results if isinstance(r, Conflict))
    assert conflict.message.startswith("This workflow is already running in this project.")
    other = await workflow(ws, definition=steps({"key": "b", "prompt": "B"}))
    await start(ws, other)  # another workflow of the same project may run beside it


async def test_the_flagship_needs_notes(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    with pytest.raises(InvalidInput, match="the project has no notes yet"):
        await start(ws, await workflow(ws, template=FLAGSHIP))


async def test_a_project_model_without_a_provider_is_refused_in_words(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    acct = await tenants.create()  # no provider at all
    ws = await workspace(tenants, fake_llm)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        from nyx_app.services import projects

        pid = (await projects.create_project(s, acct.ctx, "Bare")).id
        wf = await store.create_workflow(s, acct.ctx, pid)
    with pytest.raises(InvalidInput, match=r"No LLM provider is set up for this workspace yet"):
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await control.start_workflow_run(s, acct.ctx, wf.id)
    assert ws  # the other workspace, with a provider, is unaffected


async def test_cancel_a_queued_run_and_a_finished_one(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.cancel_run(s, ws.ctx, run_id)
    assert (await load_run(ws, run_id)).status == RunStatus.CANCELLED
    assert await statuses(ws, run_id) == {"a": "cancelled"}
    assert await run_to_end(ws, run_id)  # the job starting later finds it cancelled and does nothing
    assert fake_llm.calls() == 0
    with pytest.raises(Conflict, match="already cancelled"):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.cancel_run(s, ws.ctx, run_id)


async def test_cancelling_a_run_waiting_for_review_ends_it(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(flagship()))
    run_id = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))
    await run_to_end(ws, run_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.cancel_run(s, ws.ctx, run_id)
    assert await statuses(ws, run_id) == {"analyse": "succeeded", "review": "cancelled", "generate": "cancelled"}
    with pytest.raises(Conflict, match="not waiting for a review"):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.approve_review(s, ws.ctx, run_id, "review", "late")


async def test_a_review_decided_twice_is_a_conflict(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, then=respond(flagship()))
    run_id = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))
    await run_to_end(ws, run_id)
    with pytest.raises(InvalidInput, match="The reason cannot be empty"):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.reject_review(s, ws.ctx, run_id, "review", "  ")
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.approve_review(s, ws.ctx, run_id, "review", "ok")
    with pytest.raises(Conflict):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.reject_review(s, ws.ctx, run_id, "review", "no")


async def test_retry_a_failed_step(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, empty(), then=respond(lambda p: f"ok {p}"))
    run_id = await start(
        ws,
        await workflow(ws, definition=steps({"key": "a", "prompt": "A"}, {"key": "b", "prompt": "{{steps.a.output}}"})),
    )
    assert (await run_to_end(ws, run_id)).status == RunStatus.FAILED
    with pytest.raises(NotFound):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.retry_step(s, ws.ctx, run_id, "b")
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.retry_step(s, ws.ctx, run_id, "a")
    assert (await run_to_end(ws, run_id)).status == RunStatus.SUCCEEDED
    with pytest.raises(Conflict, match="Only a failed or cancelled run can be resumed"):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await control.resume_run(s, ws.ctx, run_id)


async def test_history_keeps_runs_of_a_deleted_workflow_and_hides_them_from_other_tenants(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    wf = await workflow(ws, definition=steps({"key": "a", "prompt": "A"}))
    run_id = await start(ws, wf)
    await run_to_end(ws, run_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await store.delete_workflow(s, ws.ctx, wf)
    async with transaction(ws.ctx.tenant_id) as s:
        [summary] = await views.run_history(s, ws.ctx, ws.project_id)
        view = await views.run_view(s, ws.ctx, run_id)
    assert (summary.title, summary.status, summary.tokens > 0) == ("New workflow", "succeeded", True)
    assert (summary.kind, summary.discussion_id, summary.report_id) == ("workflow", "", "")
    assert view.project_name  # for the run page's breadcrumbs
    assert view.steps[0].status == "succeeded" and view.steps[0].preview.startswith("Answer from")
    other = await tenants.create()
    for read in (
        lambda s: views.run_view(s, other.ctx, run_id),
        lambda s: views.run_history(s, other.ctx, ws.project_id),
        lambda s: control.cancel_run(s, other.ctx, run_id),
        lambda s: control.resume_run(s, other.ctx, run_id),
    ):
        with pytest.raises(NotFound):
            async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
                await read(s)
