"""Saved workflow definitions of a project, and the insights reviewers approved in runs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_dict

WORKFLOW_NAME_MAX = 120
WORKFLOW_DESCRIPTION_MAX = 2000


class Workflow(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "id", name="uq_workflow_tenant_id_id"),
        UniqueConstraint("project_id", "name", name="uq_workflow_project_name"),
    )

    project_id: uuid.UUID = Field(index=True)
    name: str = Field(max_length=WORKFLOW_NAME_MAX)
    description: str = Field(default="", max_length=WORKFLOW_DESCRIPTION_MAX)
    # A WorkflowDefinition (services/workflows/definition.py) as JSON, validated before it is saved.
    definition: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)
    # The shipped template it was made from ("" for blank or imported ones).
    template: str = Field(default="", max_length=60)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class WorkflowInsight(IdMixin, TenantMixin, TimestampMixin, table=True):
    """An approved review finding: its text and the run and step it came from."""

    __tablename__ = "workflow_insight"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
    )

    project_id: uuid.UUID = Field(index=True)
    run_id: uuid.UUID = Field(index=True)
    step_key: str = Field(max_length=60)
    text: str
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
