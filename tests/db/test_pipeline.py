"""write_at_once: a transaction of known writes in one round trip, with the guarantees of
``transaction()`` — the tenant's RLS, all or nothing, NOTIFY only on commit — and a cancelled
caller that returns only once the server has carried out what was already sent. HeldConnection
gives the same guarantees on one connection kept for a series of writes."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import psycopg
import pytest
from sqlalchemy import bindparam, func, select, text, update
from sqlmodel import col

from nyx_app.db.engine import app_engine
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.pipeline import Bound, Compiled, HeldConnection, write_at_once
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


# -- HeldConnection -------------------------------------------------------------------------------


def checked_out() -> int:
    return int(app_engine().pool.checkedout())  # type: ignore[attr-defined]


async def test_a_held_connection_sets_the_tenant_for_each_write_and_goes_back_to_the_pool(
    tenants: TenantFactory,
) -> None:
    alice, mallory = await tenants.create(), await tenants.create()
    private = await project_of(alice, "Private")
    before = checked_out()
    held = HeldConnection()

    await held.write(alice.ctx.tenant_id, alice.ctx.user_id, [rename(private, "Renamed")])
    # The next transaction on the same connection is another tenant's: alice's row is out of reach.
    await held.write(mallory.ctx.tenant_id, mallory.ctx.user_id, [rename(private, "Owned")])
    await held.close()

    assert await name_of(alice, private) == "Renamed"
    assert checked_out() == before


async def test_a_held_connection_drops_itself_after_a_failure_and_the_next_write_lands(
    tenants: TenantFactory,
) -> None:
    alice = await tenants.create()
    one, two = await project_of(alice, "One"), await project_of(alice, "Two")
    before = checked_out()
    held = HeldConnection()
    done: list[str] = []

    with pytest.raises(psycopg.errors.UniqueViolation):
        await held.write(
            alice.ctx.tenant_id,
            alice.ctx.user_id,
            [rename(one, "Same"), rename(two, "Same")],
            committed=lambda: done.append("first"),
        )
    later = [rename(one, "Later")]
    await held.write(alice.ctx.tenant_id, alice.ctx.user_id, later, committed=lambda: done.append("next"))
    await held.close()

    assert (await name_of(alice, one), await name_of(alice, two)) == ("Later", "Two")
    assert done == ["next"]
    assert checked_out() == before


async def test_a_write_finding_the_held_connection_busy_takes_one_of_its_own(tenants: TenantFactory) -> None:
    alice = await tenants.create()
    one, two = await project_of(alice, "One"), await project_of(alice, "Two")
    held = HeldConnection()
    landed: list[str] = []
    slow = [SLOW_ANNOUNCE.bind({"channel": RUNS_CHANNEL, "key": "x"}), rename(one, "Slow")]

    # Fan-out items finishing together: the second does not queue behind the first's round trip.
    await asyncio.gather(
        held.write(alice.ctx.tenant_id, alice.ctx.user_id, slow, committed=lambda: landed.append("slow")),
        held.write(
            alice.ctx.tenant_id, alice.ctx.user_id, [rename(two, "Quick")], committed=lambda: landed.append("quick")
        ),
    )
    await held.close()

    assert (await name_of(alice, one), await name_of(alice, two)) == ("Slow", "Quick")
    assert landed == ["quick", "slow"]


async def test_a_cancelled_writer_on_a_held_connection_returns_after_its_write_landed(tenants: TenantFactory) -> None:
    alice = await tenants.create()
    project = await project_of(alice, "Before")
    held = HeldConnection()
    done: list[str] = []
    statements = [SLOW_ANNOUNCE.bind({"channel": RUNS_CHANNEL, "key": "x"}), rename(project, "After")]
    writing = asyncio.create_task(
        held.write(alice.ctx.tenant_id, alice.ctx.user_id, statements, committed=lambda: done.append("committed"))
    )
    await asyncio.sleep(0.1)

    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    await held.write(alice.ctx.tenant_id, alice.ctx.user_id, [rename(project, "Again")])  # still usable
    await held.close()

    assert done == ["committed"]
    assert await name_of(alice, project) == "Again"


async def test_closing_waits_for_a_write_still_on_the_held_connection(tenants: TenantFactory) -> None:
    # A cancelled run closes its recorder while a step's write may still be on the wire.
    alice = await tenants.create()
    project = await project_of(alice, "Before")
    before = checked_out()
    held = HeldConnection()
    statements = [SLOW_ANNOUNCE.bind({"channel": RUNS_CHANNEL, "key": "x"}), rename(project, "After")]
    writing = asyncio.create_task(held.write(alice.ctx.tenant_id, alice.ctx.user_id, statements))
    await asyncio.sleep(0.1)
    writing.cancel()

    await held.close()

    assert await name_of(alice, project) == "After"
    assert checked_out() == before
    with contextlib.suppress(asyncio.CancelledError):
        await writing
