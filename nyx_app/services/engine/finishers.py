"""What happens when a run of a given kind succeeds: one explicit table, kind → finisher.

The executor calls ``finish`` once a run has succeeded (and again if a job is retried after that,
since a crash could fall between the two). A finisher therefore must be idempotent: it looks at
what it did before, under a row lock, and does nothing the second time. It runs in its own
transaction after the run's; if it fails, the run stays succeeded and the error is logged (the
page that shows the run's result offers to do the finisher's work by hand).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunKind, RunStatus
from nyx_app.services.code.analysis import save_patterns
from nyx_app.services.discussions.plan_note import save_plan_note
from nyx_app.services.enrichment import save_proposal
from nyx_app.services.reports.writers import save_written_report

log = logging.getLogger(__name__)

Finisher = Callable[[AsyncSession, Run], Awaitable[None]]

FINISHERS: dict[RunKind, Finisher] = {
    # "Implement" in a discussion: the plan becomes a project note.
    RunKind.DISCUSSION_PLAN: save_plan_note,
    # An executive summary or a dev-log post becomes a report of the project.
    RunKind.REPORT_SUMMARY: save_written_report,
    RunKind.REPORT_DEVLOG: save_written_report,
    # "Enrich" on a note: the answer becomes the proposal the user accepts, edits or discards.
    RunKind.NOTE_ENRICHMENT: save_proposal,
    # "Analyse code": the answer becomes the project's code patterns (searchable).
    RunKind.CODE_ANALYSIS: save_patterns,
}


async def finish(tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
    try:
        async with transaction(tenant_id) as session:
            run = await session.get(Run, run_id)
            if run is None or run.status != RunStatus.SUCCEEDED.value:
                return
            finisher = FINISHERS.get(RunKind(run.kind))
            if finisher is not None:
                await finisher(session, run)
    except Exception:
        log.exception("the finisher of run %s failed; the run stays succeeded", run_id)
