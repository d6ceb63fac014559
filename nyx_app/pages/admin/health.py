"""The health page for owners: the job queue, the workers alive with their last heartbeat, and
this workspace's failed jobs with a retry button. The same figures as /metrics (services/metrics.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import page_header, section_card
from nyx_app.services import ops_health
from nyx_app.services.context import TenantContext
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

ALIVE_S = 30  # a worker silent longer than this is shown as not answering


@dataclasses.dataclass
class WorkerRow:
    name: str
    heartbeat: str
    alive: bool


@dataclasses.dataclass
class FailedRow:
    job_id: int
    task: str
    attempts: int
    failed_at: str


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "unknown"
    seconds = max(0, int((now - when).total_seconds()))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


class HealthState(AuthState):
    loaded: bool = False
    queue_todo: int = 0
    queue_doing: int = 0
    queue_failed: int = 0
    oldest_wait: str = ""
    runs_running: int = 0
    workers: list[WorkerRow] = []
    failed: list[FailedRow] = []

    def _show(self, found: ops_health.Health) -> None:
        now, snap = datetime.now(UTC), found.snapshot
        self.queue_todo, self.queue_doing, self.queue_failed = snap.queue_todo, snap.queue_doing, snap.queue_failed
        self.oldest_wait = f"{snap.oldest_todo_seconds:.0f} s" if snap.queue_todo else "nothing waiting"
        self.runs_running = int(snap.runs.get("running", 0))
        self.workers = [
            WorkerRow(f"worker {w.worker_id}", _ago(w.last_heartbeat, now),
                      (now - w.last_heartbeat).total_seconds() < ALIVE_S)
            for w in snap.workers
        ]  # fmt: skip
        self.failed = [FailedRow(f.job_id, f.task, f.attempts, _ago(f.failed_at, now)) for f in found.failed]
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        self._show(await self._read_page(ops_health.health))

    @rx.event
    @user_action
    async def retry(self, job_id: int):
        async def act(session: AsyncSession, ctx: TenantContext) -> ops_health.Health:
            await ops_health.retry(session, ctx, int(job_id))
            return await ops_health.health(session, ctx)

        self._show(await self._in_tenant(act))
        return toasts.done("The job is queued again.")


def _figure(label: str, value: rx.Var | str, id: str) -> rx.Component:
    return rx.box(rx.text(label, size="1", color_scheme="gray"), rx.heading(value, size="5", id=id), min_width="11em")


def _worker(w: WorkerRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(w.name),
        rx.table.cell(rx.text(w.heartbeat, class_name="worker-heartbeat")),
        rx.table.cell(
            rx.cond(
                w.alive,
                rx.badge("alive", color_scheme="green", class_name="worker-state"),
                rx.badge("silent", color_scheme="red", class_name="worker-state"),
            )
        ),
        class_name="worker-row",
    )


def _failed(f: FailedRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(f.task),
        rx.table.cell(f.attempts),
        rx.table.cell(f.failed_at),
        rx.table.cell(rx.button("Retry", size="1", variant="soft", on_click=HealthState.retry(f.job_id))),
        class_name="failed-job",
        id=f"failed-{f.job_id}",
    )


def _table(headers: tuple[str, ...], body: rx.Component, id: str) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(body),
        variant="surface",
        size="1",
        width="100%",
        id=id,
    )


@signed_in_page
def health_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "System health",
            rx.button("Refresh", variant="soft", on_click=HealthState.load, id="health-refresh"),
            description="The job queue and workers of the whole installation; failed jobs of this workspace.",
        ),
        error_callout(HealthState.error),
        rx.cond(
            HealthState.loaded,
            rx.vstack(
                section_card(
                    "Queue",
                    rx.flex(
                        _figure("Waiting", HealthState.queue_todo.to_string(), "queue-todo"),
                        _figure("Running", HealthState.queue_doing.to_string(), "queue-doing"),
                        _figure("Failed", HealthState.queue_failed.to_string(), "queue-failed"),
                        _figure("Oldest waiting", HealthState.oldest_wait, "queue-oldest"),
                        _figure("Runs running", HealthState.runs_running.to_string(), "runs-running"),
                        gap="4",
                        wrap="wrap",
                    ),
                ),
                section_card(
                    "Workers",
                    _table(("Worker", "Last heartbeat", ""), rx.foreach(HealthState.workers, _worker), "workers"),
                ),
                section_card(
                    "Failed jobs of this workspace",
                    rx.cond(
                        HealthState.failed.length() > 0,  # type: ignore[attr-defined]
                        _table(("Task", "Attempts", "Failed", ""), rx.foreach(HealthState.failed, _failed), "failed"),
                        rx.text("No failed jobs.", color_scheme="gray", id="no-failed"),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            rx.text("Loading…", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
    )
