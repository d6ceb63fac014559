"""Notifications: written with the change they tell of (a run's end, a failure, a review waiting,
an accepted invitation), announced live on the LISTEN hub to the recipient's id, read only by
their recipient in that workspace, never across workspaces, never to someone removed; muted kinds
are not written."""

from __future__ import annotations

import asyncio

import pytest

from nyx_app.db.notify import NOTIFICATIONS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live.hub import hub
from nyx_app.models.notification import NotificationKind
from nyx_app.models.run import RunStatus
from nyx_app.models.tenancy import Role
from nyx_app.services import invitations, members, notifications
from nyx_app.services.context import TenantContext
from nyx_app.services.runs import control
from nyx_app.services.workflows.builtin import ANALYSE_REVIEW
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, answer, fault
from tests.runs_helpers import MODEL, run_to_end, start, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")


async def count(ctx: TenantContext) -> int:
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        return await notifications.unread_count(s, ctx)


async def listed(ctx: TenantContext) -> list[notifications.NotificationView]:
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        return await notifications.recent(s, ctx)


async def test_a_finished_run_tells_its_starter_live_and_no_one_else(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    other = await workspace(tenants, fake_llm)
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))

    async with hub().watch(NOTIFICATIONS_CHANNEL, str(ws.ctx.user_id)) as told:
        await run_to_end(ws, run_id)
        await asyncio.wait_for(told.wait(), 10)  # the bell of every tab of the starter wakes

    [note] = await listed(ws.ctx)
    assert (note.kind, note.run_id, note.read) == ("run_finished", str(run_id), False)
    assert note.title.endswith("finished") and await count(ws.ctx) == 1
    assert await count(other.ctx) == 0 and await listed(other.ctx) == []  # another workspace sees none
    # Someone of another workspace asking for the starter's id: RLS shows them nothing either.
    intruder = TenantContext(other.ctx.tenant_id, ws.ctx.user_id, Role.MEMBER)
    assert await count(intruder) == 0

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await notifications.mark_all_read(s, ws.ctx)
    assert await count(ws.ctx) == 0 and (await listed(ws.ctx))[0].read


async def test_a_failure_and_a_review_waiting_are_told_and_muted_kinds_are_not(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    fake_llm.script(MODEL, fault("auth"), then=answer("fine"))
    failing = await start(ws, await workflow(ws, definition=steps({"key": "a", "prompt": "A"})))
    await run_to_end(ws, failing)
    review = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))
    await run_to_end(ws, review)
    assert [n.kind for n in await listed(ws.ctx)] == ["review_waiting", "run_failed"]

    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        saved = await notifications.save_settings(s, ws.ctx, ["run_finished", "run_failed"], browser=False)
    assert (saved.muted, saved.browser) == (["run_failed", "run_finished"], False)
    quiet = await start(ws, await workflow(ws, definition=steps({"key": "b", "prompt": "B"})))
    await run_to_end(ws, quiet)
    assert await count(ws.ctx) == 2  # nothing new: finished runs are muted


async def test_a_removed_member_is_told_nothing_and_sees_nothing(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    guest = await tenants.create()
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        made = await invitations.create_invitation(s, ws.ctx, "member")
    await invitations.accept(made.token, guest.ctx.user_id)
    [told] = await listed(ws.ctx)  # the inviter is told
    assert told.kind == NotificationKind.INVITATION_ACCEPTED and "accepted your invitation" in told.title

    joined = TenantContext(ws.ctx.tenant_id, guest.ctx.user_id, Role.MEMBER)
    async with transaction(ws.ctx.tenant_id, guest.ctx.user_id) as s:
        await notifications.tell(s, ws.ctx.tenant_id, guest.ctx.user_id, NotificationKind.RUN_FINISHED, "Run X")
    assert await count(joined) == 1
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await members.remove_member(s, ws.ctx, guest.ctx.user_id)
    assert await count(joined) == 0 and await listed(joined) == []
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        written = await notifications.tell(
            s, ws.ctx.tenant_id, guest.ctx.user_id, NotificationKind.RUN_FINISHED, "Run Y"
        )
    assert not written


async def test_a_review_waiting_is_told_only_to_the_run_s_starter(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    """The bell lists what needs *this* person: a colleague's review is not theirs, whatever their
    role (owners and admins see the run on its page, they are not rung for it)."""
    ws = await workspace(tenants, fake_llm)
    admin = await tenants.join(ws.account, Role.ADMIN)
    starter = await tenants.join(ws.account, Role.MEMBER)
    bystander = await tenants.join(ws.account, Role.MEMBER)
    review = await workflow(ws, template=ANALYSE_REVIEW)
    async with transaction(ws.ctx.tenant_id, starter.ctx.user_id) as s:
        run_id = (await control.start_workflow_run(s, starter.ctx, review)).id

    async with hub().watch(NOTIFICATIONS_CHANNEL, str(starter.ctx.user_id)) as told:
        run = await run_to_end(ws, run_id)
        await asyncio.wait_for(told.wait(), 10)

    assert run.status == RunStatus.WAITING
    [note] = await listed(starter.ctx)
    assert (note.kind, note.run_id) == (NotificationKind.REVIEW_WAITING, str(run_id))
    for other in (ws.account, admin, bystander):  # the owner (who made the workflow), an admin, a member
        assert await count(other.ctx) == 0 and await listed(other.ctx) == []
