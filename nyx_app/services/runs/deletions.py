"""What deleting something a run uses does to the run, in the deleting transaction.

- A project: its runs go with it (cascade). Each active one's worker is told on the control
  channel, so its calls in flight stop at once; its next write is refused anyway (the run lease,
  ``db/lease.py``), so no call is started for a run that no longer exists.
- A workflow: its runs stay (each keeps the definition it ran with, an active one goes on), but no
  longer point at it: their pages stop offering "Open the workflow".
- A persona: active runs whose steps speak as it are told; their steps not started yet fail in
  words (``RunExecutor.steered``), those in flight finish (their answers are paid for).
"""

from __future__ import annotations

import uuid

from sqlalchemy import String, cast, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.notify import RUN_CONTROL_CHANNEL, RUNS_CHANNEL, notify
from nyx_app.models.run import ACTIVE_RUN_STATUSES, Run

_ACTIVE = [s.value for s in ACTIVE_RUN_STATUSES]


async def _tell(session: AsyncSession, run_ids: list[uuid.UUID]) -> None:
    for run_id in run_ids:
        await notify(session, RUN_CONTROL_CHANNEL, str(run_id))  # its worker stops or adapts
        await notify(session, RUNS_CHANNEL, str(run_id))  # its pages re-read it


async def project_deleted(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Before the project's rows go: its active runs' workers are told (delivered at commit)."""
    active = await session.exec(select(Run.id).where(Run.project_id == project_id, col(Run.status).in_(_ACTIVE)))
    await _tell(session, list(active))


async def workflow_deleted(session: AsyncSession, workflow_id: uuid.UUID) -> None:
    """Its runs no longer point at it; their pages are told."""
    await session.execute(
        update(Run)
        .where(col(Run.workflow_id) == workflow_id)
        .values(workflow_id=None, revision=Run.revision + 1)
        .returning(func.pg_notify(RUNS_CHANNEL, cast(col(Run.id), String)))
        .execution_options(synchronize_session=False)
    )


async def persona_deleted(session: AsyncSession, persona_id: uuid.UUID) -> None:
    """Active runs with a step speaking as it are told."""
    uses = col(Run.definition).contains({"steps": [{"persona": str(persona_id)}]})
    active = await session.exec(select(Run.id).where(col(Run.status).in_(_ACTIVE), uses))
    await _tell(session, list(active))
