"""What the API sends and takes: pydantic models, which also make the OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page; null on the last page.")


class Me(Out):
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    role: str
    scopes: list[str]
    token_id: uuid.UUID
    token_name: str


class ProjectOut(Out):
    id: uuid.UUID
    name: str
    description: str
    github_url: str
    published: bool
    llm_model: str
    created_at: datetime
    updated_at: datetime


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=1000)
    description: str = Field("", max_length=100_000)


class NoteOut(Out):
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    content: str
    version: int
    public: bool
    created_at: datetime
    updated_at: datetime


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=1000)
    content: str = Field("", description="Markdown.")


class ImageOut(Out):
    id: uuid.UUID
    content_type: str
    width: int
    height: int
    bytes: int
    description: str


class NoteWithImages(NoteOut):
    images: list[ImageOut] = []


class ImageRefusal(BaseModel):
    file: str
    error: str


class MemoryOut(Out):
    id: uuid.UUID
    title: str
    content: str
    tags: list[str]
    project_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class MemoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=1000)
    content: str = ""
    tags: list[str] = Field(default_factory=list, max_length=100)
    project_id: uuid.UUID | None = None


class WorkflowOut(Out):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str
    template: str
    created_at: datetime
    updated_at: datetime


class WorkflowDetail(WorkflowOut):
    definition: dict[str, Any]


class RunOut(Out):
    id: uuid.UUID
    project_id: uuid.UUID
    workflow_id: uuid.UUID | None
    kind: str
    title: str
    status: str
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    revision: int
    pause_requested: str = Field("", description="finish or now while a pause is asked of a running run, else empty.")
    paused_by: uuid.UUID | None = None
    paused_at: datetime | None = None


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: str = Field(
        "finish", description="finish: the steps in flight finish first; now: their calls stop (they rerun on resume)."
    )


class StepOut(Out):
    id: uuid.UUID
    key: str
    item_index: int | None
    label: str
    status: str
    provider: str
    model: str
    output: str
    error: str
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    started_at: datetime | None
    finished_at: datetime | None


class ReportOut(Out):
    id: uuid.UUID
    project_id: uuid.UUID
    kind: str
    title: str
    created_at: datetime
    pdf_status: str
    published: bool


class ReportDetail(ReportOut):
    markdown: str
    data: dict[str, Any]
    source_run_id: uuid.UUID | None


class SearchHitOut(BaseModel):
    kind: str = Field(description="note, memory, insight, run_output (id: the run), report, policy_passage, ...")
    id: uuid.UUID
    project_id: uuid.UUID | None
    title: str
    excerpt: str
    matched_by: str = Field(description="words, meaning or both")


class AuditEventOut(Out):
    id: uuid.UUID
    created_at: datetime
    action: str
    actor_id: uuid.UUID | None
    actor_label: str
    object_type: str
    object_id: str
    object_label: str
    address: str
    device: str
    via: str
    details: dict[str, Any]
