"""The admin health page (pages/admin/): the installation's queue and workers, and this workspace's
failed jobs with a retry. Owners only.

The queue and worker figures are installation-wide counts (services/metrics.py); the failed jobs
listed and retried are only the workspace's own: procrastinate's tables have no row-level security,
so every query here names the tenant in the job's arguments itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.tenancy import Role
from nyx_app.services import metrics
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotAllowed, NotFound

FAILED_SHOWN = 20
OWNERS_ONLY = "Only owners can see the system's health."

_FAILED = text(
    """
    SELECT j.id, j.task_name, j.attempts,
           (SELECT max(at) FROM procrastinate_events e WHERE e.job_id = j.id) AS at
      FROM procrastinate_jobs j
     WHERE j.status = 'failed' AND j.args->>'tenant_id' = :tenant_id
     ORDER BY j.id DESC
     LIMIT :limit
    """
)
_OWN_FAILED = text(
    "SELECT 1 FROM procrastinate_jobs WHERE id = :id AND status = 'failed' AND args->>'tenant_id' = :tenant_id"
)
_RETRY = text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)")


@dataclass(frozen=True, slots=True)
class FailedJob:
    job_id: int
    task: str
    attempts: int
    failed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Health:
    snapshot: metrics.Snapshot
    failed: list[FailedJob]


def _require_owner(ctx: TenantContext) -> None:
    if ctx.role != Role.OWNER:
        raise NotAllowed(OWNERS_ONLY)


async def health(session: AsyncSession, ctx: TenantContext) -> Health:
    """The page's read. Last in its transaction: the figures cover every tenant and leave no
    tenant context behind."""
    _require_owner(ctx)
    snap = await metrics.read(session)
    rows = (await session.execute(_FAILED, {"tenant_id": str(ctx.tenant_id), "limit": FAILED_SHOWN})).all()
    return Health(snap, [FailedJob(int(r.id), str(r.task_name), int(r.attempts), r.at) for r in rows])


async def retry(session: AsyncSession, ctx: TenantContext, job_id: int) -> None:
    """Queue one of the workspace's failed jobs again; another workspace's job is "not found"."""
    _require_owner(ctx)
    found = (await session.execute(_OWN_FAILED, {"id": job_id, "tenant_id": str(ctx.tenant_id)})).first()
    if found is None:
        raise NotFound("That job is not in this workspace's failed jobs (any more).")
    await session.execute(_RETRY, {"id": job_id})
