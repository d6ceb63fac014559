"""The admin health page's service: owners only; a workspace lists and retries only its own failed
jobs (procrastinate's tables have no row-level security, so the service filters by tenant itself)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services import ops_health
from nyx_app.services.errors import NotAllowed, NotFound
from tests.factories import Account, TenantFactory

_INSERT = text(
    "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, attempts) "
    "VALUES ('nyx-pdf', 'nyx.report_pdf', CAST(:args AS jsonb), 'failed', 1) RETURNING id"
)


async def _failed_job(acct: Account) -> int:
    args = json.dumps({"tenant_id": str(acct.ctx.tenant_id), "report_id": "00000000-0000-4000-8000-000000000000"})
    async with transaction() as s:
        return int((await s.execute(_INSERT, {"args": args})).scalar_one())


async def _status(job_id: int) -> str:
    async with transaction() as s:
        return str(
            (await s.execute(text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})).scalar_one()
        )


async def test_an_owner_sees_and_retries_only_the_workspace_s_own_failed_jobs(tenants: TenantFactory) -> None:
    mine, theirs = await tenants.create(), await tenants.create()
    my_job, their_job = await _failed_job(mine), await _failed_job(theirs)
    async with transaction(mine.ctx.tenant_id, mine.ctx.user_id) as s:
        seen = await ops_health.health(s, mine.ctx)
    assert [f.job_id for f in seen.failed] == [my_job]
    assert seen.snapshot.queue_failed >= 2  # the installation's count includes every workspace's
    async with transaction(mine.ctx.tenant_id, mine.ctx.user_id) as s:
        with pytest.raises(NotFound):
            await ops_health.retry(s, mine.ctx, their_job)
    async with transaction(mine.ctx.tenant_id, mine.ctx.user_id) as s:
        await ops_health.retry(s, mine.ctx, my_job)
    assert await _status(my_job) == "todo"
    assert await _status(their_job) == "failed"


async def test_members_and_admins_are_refused(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    for role in (Role.MEMBER, Role.ADMIN):
        other = await tenants.join(owner, role)
        async with transaction(owner.ctx.tenant_id, other.ctx.user_id) as s:
            with pytest.raises(NotAllowed, match="Only owners"):
                await ops_health.health(s, other.ctx)
