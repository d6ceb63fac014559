"""Runs: every long piece of work (a workflow, later a discussion or a report) is a run of steps.

A run keeps a snapshot of the definition it was started with, so editing or deleting the
workflow later never changes what an old run shows. Each step (and each item of a fan-out step)
is one ``step_run`` row, persisted when it changes: a run picked up again after a crash skips the
finished rows and pays for nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, ForeignKeyConstraint, Index, Numeric, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_dict, empty_list

RUN_TITLE_MAX = 200
STEP_KEY_MAX = 60
# Plain steps use item_index -1 so (run, key, item_index) stays unique (NULLs would not be).
NO_ITEM = -1


class RunKind(StrEnum):
    WORKFLOW = "workflow"
    # Discussions (services/discussions): one run per round of answers, per synthesis, per plan.
    DISCUSSION = "discussion"
    DISCUSSION_SYNTHESIS = "discussion_synthesis"
    DISCUSSION_PLAN = "discussion_plan"
    # Reports a model writes (services/reports/writers.py); the finisher saves the report.
    REPORT_SUMMARY = "report_summary"
    REPORT_DEVLOG = "report_devlog"
    # "Enrich" on a note (services/enrichment): the finisher turns the answer into a proposal.
    NOTE_ENRICHMENT = "note_enrichment"
    # "Sync" on a project's Sources tab (services/code): fetch the repository, list its files.
    CODE_SYNC = "code_sync"
    # "Analyse code" (services/code/analysis.py): the finisher stores the code patterns.
    CODE_ANALYSIS = "code_analysis"
    # 2 to 4 models answering one step side by side (services/runs/model_compare.py).
    MODEL_COMPARE = "model_compare"


DISCUSSION_KINDS = (RunKind.DISCUSSION, RunKind.DISCUSSION_SYNTHESIS, RunKind.DISCUSSION_PLAN)
REPORT_KINDS = (RunKind.REPORT_SUMMARY, RunKind.REPORT_DEVLOG)


class RunStatus(StrEnum):
    PENDING = "pending"  # queued for a worker
    RUNNING = "running"
    WAITING = "waiting"  # paused until a person reviews a step
    PAUSED = "paused"  # a person paused it: nothing new starts, no worker holds it, until resumed
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


ACTIVE_RUN_STATUSES = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING, RunStatus.PAUSED)


class PauseMode(StrEnum):
    """How a person asked a running run to pause (``Run.pause_requested``; "" when nobody did)."""

    FINISH = "finish"  # the steps in flight finish, nothing new starts
    NOW = "now"  # the calls in flight are stopped; those steps start again on resume


class StepStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING_REVIEW = "waiting_review"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # a step it depends on failed
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELLED)


class Run(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "id", name="uq_run_tenant_id_id"),
        Index("ix_run_project_created", "project_id", "created_at"),
        # The guard "one active run of this kind" and the sweeper look only at unfinished runs.
        Index(
            "ix_run_active",
            "project_id",
            "kind",
            postgresql_where=text("status IN ('pending','running','waiting','paused')"),
        ),
    )

    project_id: uuid.UUID = Field(index=True)
    kind: str = Field(default=RunKind.WORKFLOW.value, max_length=20)
    # No foreign key: a deleted workflow leaves its runs in history (the snapshot says what ran).
    workflow_id: uuid.UUID | None = Field(default=None)
    title: str = Field(max_length=RUN_TITLE_MAX)
    definition: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)
    inputs: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)
    status: str = Field(default=RunStatus.PENDING.value, max_length=12)
    error: str = Field(default="")
    started_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    heartbeat_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The executor that owns the run: bumped by each claim (``nyx_claim_run``); every write of an
    # executor holds its epoch (``nyx_hold_run``), so one that lost the run writes nothing more.
    lease_epoch: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    lease_holder: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    cancel_requested: bool = False
    # Pause (services/runs/pausing.py): asked for (a PauseMode) while a worker runs it; who and when.
    pause_requested: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    paused_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    paused_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # A re-run from a step (services/runs/reruns.py): the run it re-ran and the step it began at.
    # No foreign key: the earlier run's page may go, the link then says it is gone.
    rerun_of: uuid.UUID | None = Field(default=None)
    rerun_from: str = Field(default="", max_length=STEP_KEY_MAX, sa_column_kwargs={"server_default": ""})
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Field(default=Decimal(0), sa_type=Numeric(14, 8))
    # Bumped on every change, so a watching page can tell "nothing new" without comparing rows.
    revision: int = 0


class StepRun(IdMixin, TenantMixin, table=True):
    __tablename__ = "step_run"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        UniqueConstraint("run_id", "key", "item_index", name="uq_step_run_key_item"),
    )

    run_id: uuid.UUID = Field(index=True)
    key: str = Field(max_length=STEP_KEY_MAX)
    item_index: int = NO_ITEM
    # For fan-out items: the item itself and a short label for the page.
    item: Any = Field(default=None, sa_type=JSONB)
    label: str = Field(default="", max_length=200)
    status: str = Field(default=StepStatus.QUEUED.value, max_length=16)
    provider: str = Field(default="", max_length=40)
    model: str = Field(default="", max_length=120)
    prompt: str = Field(default="")
    output: str = Field(default="")
    # The parsed answer of a JSON step (a list a later step fans out over, or an object).
    output_data: Any = Field(default=None, sa_type=JSONB)
    error: str = Field(default="")
    # Every provider attempt: provider, model, status, error kind and message, tokens, cost, latency.
    attempts: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSONB)
    # The llm_call.call_id of each call made for this step (its attempts are llm_call rows).
    call_ids: list[uuid.UUID] = Field(default_factory=empty_list, sa_type=ARRAY(Uuid()))
    # What auto-context had to leave out to fit the model's context window, in words.
    context_note: str = Field(default="")
    # A re-run's copy of an earlier run's finished step (services/runs/reruns.py): that row's id.
    # Its answer was not asked for again and costs this run nothing.
    reused_from: uuid.UUID | None = Field(default=None)
    review_note: str = Field(default="")
    reviewed_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Field(default=Decimal(0), sa_type=Numeric(14, 8))
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
