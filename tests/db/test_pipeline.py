"""write_at_once: a transaction of known writes in one round trip, with the guarantees of
``transaction()`` — the tenant's RLS, all or nothing, NOTIFY only on commit — and a cancelled
caller that returns only once the server has carried out what was already sent."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest
from sqlalchemy import bindparam, func, select, text, update
from sqlmodel import col

from nyx_app.db.engine import app_engine
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.pipeline import Bound, Compiled, write_at_once
from nyx_app.db.session import transaction
from nyx_app.live.hub import Hub
from nyx_app.models.project import Project
from nyx_app.services import projects
from tests.factories import Account, TenantFactory

RENAME = Compiled(
    update(Project)
    .where(col(Project.id) == bindparam("project_id"))
    .values(name=bindparam("new_name"), updated_at=func.now())
)
ANNOUNCE = Compiled(select(func.pg_notify(RUNS_CHANNEL, bindparam("key"))))
SLOW_ANNOUNCE = Compiled(text("SELECT pg_sleep(0.3), pg_notify(:channel, :key)"))


async def project_of(account: Account, name: str) -> uuid.UUID:
    async with transaction(account.ctx.tenant_id, account.ctx.user_id) as s:
        return (await projects.create_project(s, account.ctx, name, "")).id


async def name_of(account: Account, project_id: uuid.UUID) -> str | None:
    async with transaction(account.ctx.tenant_id) as s:
        return (await s.execute(select(Project.name).where(col(Project.id) == project_id))).scalar_one_or_none()


def rename(project_id: uuid.UUID, name: str) -> Bound:
    return RENAME.bind({"project_id": project_id, "new_name": name})


async def test_the_statements_commit_together_as_the_tenant(tenants: TenantFactory) -> None:
    alice = await tenants.create()
    one, two = await project_of(alice, "One"), await project_of(alice, "Two")
    done: list[str] = []

    await write_at_once(
        alice.ctx.tenant_id,
        alice.ctx.user_id,
        [rename(one, "First"), rename(two, "Second")],
        committed=lambda: done.append("committed"),
    )

    assert (await name_of(alice, one), await name_of(alice, two)) == ("First", "Second")
    assert done == ["committed"]


async def test_another_tenants_row_is_out_of_reach(tenants: TenantFactory) -> None:
    alice, mallory = await tenants.create(), await tenants.create()
    theirs = await project_of(alice, "Private")

    await write_at_once(mallory.ctx.tenant_id, mallory.ctx.user_id, [rename(theirs, "Owned")])

    assert await name_of(alice, theirs) == "Private"


async def test_a_failing_statement_rolls_back_the_ones_before_it_and_the_pool_recovers(
    tenants: TenantFactory,
) -> None:
    alice = await tenants.create()
    one, two = await project_of(alice, "One"), await project_of(alice, "Two")
    done: list[str] = []

    with pytest.raises(psycopg.errors.UniqueViolation):  # two projects of a tenant may not share a name
        await write_at_once(
            alice.ctx.tenant_id,
            alice.ctx.user_id,
            [rename(one, "Same"), rename(two, "Same")],
            committed=lambda: done.append("committed"),
        )

    assert (await name_of(alice, one), await name_of(alice, two)) == ("One", "Two")
    assert done == []
    for _ in range(app_engine().pool.size() + 1):  # every pooled connection is usable
        await write_at_once(alice.ctx.tenant_id, alice.ctx.user_id, [rename(one, "Later")])
    assert await name_of(alice, one) == "Later"


async def test_a_notification_is_delivered_when_it_commits_and_not_when_it_fails(tenants: TenantFactory) -> None:
    alice = await tenants.create()
    one, two = await project_of(alice, "One"), await project_of(alice, "Two")
    hub = Hub()
    try:
        async with hub.watch(RUNS_CHANNEL, "failed") as failed, hub.watch(RUNS_CHANNEL, "landed") as landed:
            assert hub.connected.is_set()
            failed.clear()  # the hub wakes its watchers once it listens
            landed.clear()
            with pytest.raises(psycopg.errors.UniqueViolation):
                await write_at_once(
                    alice.ctx.tenant_id,
                    alice.ctx.user_id,
                    [ANNOUNCE.bind({"key": "failed"}), rename(one, "Same"), rename(two, "Same")],
                )
            await write_at_once(alice.ctx.tenant_id, alice.ctx.user_id, [ANNOUNCE.bind({"key": "landed"})])

            await asyncio.wait_for(landed.wait(), 5)
            assert not failed.is_set()
    finally:
        await hub.close()


async def test_a_cancelled_caller_returns_only_after_what_it_sent_has_landed(tenants: TenantFactory) -> None:
    # The run engine relies on this: a cancelled step's start must not land after the clean-up
    # that marks it cancelled.
    alice = await tenants.create()
    project = await project_of(alice, "Before")
    done: list[str] = []
    statements = [SLOW_ANNOUNCE.bind({"channel": RUNS_CHANNEL, "key": "x"}), rename(project, "After")]
    writing = asyncio.create_task(
        write_at_once(
            alice.ctx.tenant_id,
            alice.ctx.user_id,
            statements,
            committed=lambda: done.append("committed"),
        )
    )
    await asyncio.sleep(0.1)  # sent, and the server is busy with it

    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing

    assert done == ["committed"]  # the caller can tell the write landed
    assert await name_of(alice, project) == "After"


async def test_a_statement_whose_python_side_default_would_be_skipped_is_refused(tenants: TenantFactory) -> None:
    alice = await tenants.create()
    project = await project_of(alice, "One")
    forgetful = Compiled(update(Project).where(col(Project.id) == bindparam("project_id")).values(name="Two"))

    with pytest.raises(ValueError, match="updated_at"):
        forgetful.bind({"project_id": project})
