"""The sweeper settles runs left behind: aborted jobs resume, crashed ones fail with the reason,
and a run that nobody holds and that stopped beating is failed instead of staying "running"."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from nyx_app.db.base import utcnow
from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunStatus, StepRun, StepStatus
from nyx_app.services.engine import health, sweeper
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import load_run, start, statuses, step_rows, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


async def _set_job(run_id: uuid.UUID, status: str) -> None:
    async with transaction() as s:
        await s.execute(
            text(
                "UPDATE procrastinate_jobs SET status = CAST(:st AS procrastinate_job_status) "
                "WHERE args->>'run_id' = :r"
            ),
            {"st": status, "r": str(run_id)},
        )


async def _set_run(ws, run_id: uuid.UUID, **values) -> None:  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id) as s:
        await s.execute(update(Run).where(Run.id == run_id).values(**values))


async def _jobs(run_id: uuid.UUID) -> list[str]:
    async with transaction() as s:
        rows = await s.execute(
            text("SELECT status::text FROM procrastinate_jobs WHERE args->>'run_id' = :r ORDER BY id"),
            {"r": str(run_id)},
        )
        return list(rows.scalars())


async def test_an_aborted_job_of_a_running_run_gets_a_new_job(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    await _set_run(ws, run_id, status=RunStatus.RUNNING.value)
    await _set_job(run_id, "aborted")

    report = await sweeper.sweep_jobs()

    assert report.resumed == [str(run_id)]
    assert await _jobs(run_id) == ["todo"]  # the old one forgotten, a new one queued
    assert (await sweeper.sweep_jobs()).resumed == []  # idempotent


async def test_a_job_that_crashed_fails_its_run_with_the_reason(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    await _set_run(ws, run_id, status=RunStatus.RUNNING.value)
    async with transaction(ws.ctx.tenant_id) as s:
        await s.execute(update(StepRun).where(StepRun.run_id == run_id).values(status=StepStatus.RUNNING.value))
    await _set_job(run_id, "failed")

    await sweeper.sweep_jobs()

    run = await load_run(ws, run_id)
    assert (run.status, run.error) == (
        "failed",
        "The run stopped because of an internal error; resume it to try again.",
    )
    assert await statuses(ws, run_id) == {"a": "failed"}
    assert await _jobs(run_id) == []


async def test_a_run_nobody_holds_that_stopped_beating_is_failed(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    stale = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    fresh = await start(ws, await workflow(ws, definition=steps({"key": "b", "prompt": "B"})))
    waiting = await start(ws, await workflow(ws, definition=steps({"key": "c", "prompt": "C"})))
    eleven_minutes_ago = utcnow() - timedelta(minutes=11)
    await _set_run(ws, stale, status=RunStatus.RUNNING.value, heartbeat_at=eleven_minutes_ago)
    await _set_run(ws, fresh, status=RunStatus.RUNNING.value, heartbeat_at=utcnow())
    await _set_run(ws, waiting, status=RunStatus.WAITING.value, heartbeat_at=eleven_minutes_ago)
    async with transaction() as s:  # no job holds any of them any more
        await s.execute(text("DELETE FROM procrastinate_jobs"))

    report = await sweeper.sweep_orphans()

    assert report.failed == [str(stale)]
    run = await load_run(ws, stale)
    assert run.error == "The run stopped responding (no heartbeat for 10 minutes) and no worker holds it."
    # Its steps say so too, the ones that had not started included.
    assert {(r.status, r.error) for r in (await step_rows(ws, stale)).values()} == {("failed", run.error)}
    assert (await load_run(ws, fresh)).status == "running"
    assert (await load_run(ws, waiting)).status == "waiting"  # a review pause is not a stale run


async def test_a_queued_job_keeps_its_run_alive(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    await _set_run(ws, run_id, created_at=utcnow() - timedelta(hours=1))

    assert (await sweeper.sweep_orphans()).failed == []
    assert (await load_run(ws, run_id)).status == "pending"  # waiting for a worker is not stuck


async def _doing(run_id: uuid.UUID, heartbeat_age_s: float) -> int:
    """The run's job taken by a worker whose last heartbeat is this old."""
    async with transaction() as s:
        worker = (
            await s.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat) "
                    "VALUES (now() - make_interval(secs => :age)) RETURNING id"
                ),
                {"age": heartbeat_age_s},
            )
        ).scalar_one()
        await s.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE args->>'run_id' = :r"),
            {"w": worker, "r": str(run_id)},
        )
        return int(worker)


async def test_a_run_whose_worker_stopped_beating_gets_a_new_job_at_once(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    silent = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    alive = await start(ws, await workflow(ws, definition=steps({"key": "b", "prompt": "B"})))
    await _doing(silent, heartbeat_age_s=60)
    await _doing(alive, heartbeat_age_s=0)

    report = await sweeper.take_over()

    assert report.taken_over == [str(silent)]
    # Its job ended (a frozen worker that wakes cannot finish another worker's job), a new one waits.
    assert await _jobs(silent) == ["aborted", "todo"]
    assert await _jobs(alive) == ["doing"]
    assert (await sweeper.take_over()).taken_over == []  # idempotent


async def test_the_sweep_knows_since_when_no_worker_is_alive(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    await _doing(run_id, heartbeat_age_s=0)
    assert (await sweeper.check_workers()).alive == 1
    assert health.no_worker_since() is None
    async with transaction() as s:
        await s.execute(text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute'"))

    seen = await sweeper.check_workers()

    assert seen.alive == 0 and seen.since is not None
    assert utcnow() - timedelta(minutes=2) < seen.since < utcnow() - timedelta(seconds=50)
    assert health.no_worker_since() == seen.since
