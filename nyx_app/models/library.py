"""The tenant's knowledge that is not a note or a memory: its policy library (documents and their
passages), the patterns consolidated from a project's work, and note enrichments.

- ``policy_document`` is an uploaded policy (Markdown, text or PDF) tagged by framework; its file
  is in storage (``file_key``: a row never exists without its file, services/policies). Its text
  is split into ``policy_passage`` rows (headings kept), each searchable as its own item.
- ``consolidation_pattern``: a recurring lesson of a project (a convention, a pitfall, a best
  practice) distilled from its insights and notes; searchable, and read by note enrichment.
- ``note_enrichment``: one "Enrich" of a note: the run that writes the proposal, the note's text
  and version when it started (the diff's left side; accepting checks the version), the sources
  retrieved with why, and what the user decided.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_list

POLICY_TITLE_MAX = 200
POLICY_FILENAME_MAX = 200
PASSAGE_HEADING_MAX = 300
PATTERN_TITLE_MAX = 200
PATTERN_TEXT_MAX = 20_000


class PolicyFramework(StrEnum):
    ISO_27001 = "iso27001"
    GDPR = "gdpr"  # DSGVO
    INTERNAL = "internal"

    @property
    def label(self) -> str:
        return {"iso27001": "ISO 27001", "gdpr": "DSGVO / GDPR", "internal": "Internal"}[self.value]


class PolicyDocument(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "policy_document"
    __table_args__ = (UniqueConstraint("tenant_id", "id", name="uq_policy_document_tenant_id_id"),)

    title: str = Field(max_length=POLICY_TITLE_MAX)
    framework: str = Field(max_length=20)
    filename: str = Field(max_length=POLICY_FILENAME_MAX)
    content_type: str = Field(max_length=60)
    file_key: str = Field(max_length=400)
    bytes: int
    sha256: str = Field(max_length=64)
    pages: int = 0  # a PDF's pages (0 for text)
    chars: int = 0  # extracted text
    passage_count: int = 0
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class PolicyPassage(IdMixin, TenantMixin, table=True):
    __tablename__ = "policy_passage"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "document_id"], ["policy_document.tenant_id", "policy_document.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("document_id", "seq", name="uq_policy_passage_seq"),
    )

    document_id: uuid.UUID = Field(index=True)
    seq: int  # 1, 2, … in the document's order: cited as "§seq"
    heading: str = Field(default="", max_length=PASSAGE_HEADING_MAX)  # "4 Access control > 4.2 Passwords"
    text: str
    page: int | None = None  # the PDF page it starts on


class PatternKind(StrEnum):
    CONVENTION = "convention"
    PITFALL = "pitfall"
    BEST_PRACTICE = "best_practice"


class ConsolidationPattern(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "consolidation_pattern"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
    )

    project_id: uuid.UUID = Field(index=True)
    kind: str = Field(default=PatternKind.CONVENTION.value, max_length=20)
    title: str = Field(max_length=PATTERN_TITLE_MAX)
    text: str = Field(max_length=PATTERN_TEXT_MAX)
    # The insights it was consolidated from (ids; an insight deleted later leaves the pattern).
    insight_ids: list[str] = Field(default_factory=empty_list, sa_type=JSONB)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class EnrichmentStatus(StrEnum):
    RUNNING = "running"  # the run writes the proposal
    PROPOSED = "proposed"  # waits for the user
    ACCEPTED = "accepted"
    DISCARDED = "discarded"
    FAILED = "failed"


class NoteEnrichment(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "note_enrichment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "note_id"], ["project_note.tenant_id", "project_note.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        UniqueConstraint("run_id", name="uq_note_enrichment_run"),
    )

    note_id: uuid.UUID = Field(index=True)
    run_id: uuid.UUID
    status: str = Field(default=EnrichmentStatus.RUNNING.value, max_length=12)
    base_version: int  # the note's version when it started: accepting over a newer one asks first
    base_title: str = ""
    base_content: str = ""
    proposal: str = ""  # the enriched text (the run's answer), once proposed
    accepted_version: int | None = None  # the note's version the accept wrote
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Sources retrieved for it (copied from the run's record): kind, ref, item id, title, why, score.
    sources: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSONB)
