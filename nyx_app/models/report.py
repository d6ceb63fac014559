"""Reports of a project: what was built or written, kept as Markdown, downloadable as PDF.

A report is a snapshot: its Markdown (and the safe HTML rendered from it once, when it is saved)
never changes except for its title, so what a reader downloaded yesterday is what it says today.
Run reports keep the raw record of the run in ``data`` (the JSON download); dev-log posts keep
their structured post there (title, summary, tags, sections, thingsDone, pains, successes,
techStack).

The PDF is rendered by a job and stored (``pdf_key``); ``pdf_revision`` says which ``revision``
of the report it shows (a rename bumps ``revision``: the title is printed on the PDF).

``published_post`` is the one table read without a tenant: it maps the public id of a published
dev-log post to its tenant and report, nothing else (see services/reports/publish.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_dict

REPORT_TITLE_MAX = 200


class ReportKind(StrEnum):
    OVERVIEW = "overview"  # built from the project's rows
    RUN = "run"  # built from one run's rows
    SUMMARY = "summary"  # an executive summary a model writes (a run)
    DEVLOG = "devlog"  # a dev-log post a model writes (a run); can be published
    DOCS = "docs"  # a docs run's README section and module overviews (services/code/docs.py)

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ReportKind.OVERVIEW: "Project overview",
    ReportKind.RUN: "Run report",
    ReportKind.SUMMARY: "Executive summary",
    ReportKind.DEVLOG: "Dev-log post",
    ReportKind.DOCS: "Code documentation",
}


class PdfStatus(StrEnum):
    PENDING = "pending"  # a job is (or should be) rendering it
    READY = "ready"
    FAILED = "failed"  # pdf_error says why, in words


class Report(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "id", name="uq_report_tenant_id_id"),
        Index("ix_report_project_created", "project_id", "created_at"),
        # One report per writing run: a finisher that runs twice finds the first one.
        Index("uq_report_writer_run", "writer_run_id", unique=True, postgresql_where=text("writer_run_id IS NOT NULL")),
    )

    project_id: uuid.UUID = Field(index=True)
    kind: str = Field(max_length=12)
    title: str = Field(max_length=REPORT_TITLE_MAX)
    markdown: str = Field(default="")
    # integrations.markdown.render(markdown), made once when the report is saved.
    html: str = Field(default="")
    data: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)
    # The run a run report describes. No foreign key: the report is a snapshot of it.
    source_run_id: uuid.UUID | None = Field(default=None)
    # The run that wrote an LLM-written report.
    writer_run_id: uuid.UUID | None = Field(default=None)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    revision: int = 1
    pdf_status: str = Field(default=PdfStatus.PENDING.value, max_length=10)
    pdf_error: str = Field(default="")
    pdf_key: str = Field(default="", max_length=400)
    pdf_bytes: int = 0
    pdf_revision: int = 0
    pdf_requested_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    published: bool = False
    # Set while published; a new one at every publication, so an unpublished link stays dead.
    public_id: uuid.UUID | None = Field(default=None, unique=True)
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PublishedPost(SQLModel, table=True):
    """public id → (tenant, report) of each published post; nothing else, so reading it without a
    tenant reveals only what is public anyway. Rows come and go with publishing."""

    __tablename__ = "published_post"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "report_id"], ["report.tenant_id", "report.id"], ondelete="CASCADE"),
    )

    public_id: uuid.UUID = Field(primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", ondelete="CASCADE")
    report_id: uuid.UUID = Field(unique=True)
