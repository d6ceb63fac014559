"""Code sources: a project's imported git repository and the files of its last synced commit.

``code_source`` is one per project: where to fetch (URL, branch, scan path), the token (Fernet,
like provider keys; only its last four characters are ever shown) and what the last successful
sync found. ``source_file`` lists every path under the scan path of that commit, with language,
size and lines, or the rule that skipped it. A sync replaces the list in its run's last
transaction (nothing half-synced); the blob id lets a re-sync re-read only what changed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_dict, empty_list

SOURCE_URL_MAX = 500
BRANCH_MAX = 200
SCAN_PATH_MAX = 500
FILE_PATH_MAX = 1000
PATTERN_TITLE_MAX = 200


class CodeSource(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "code_source"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "id", name="uq_code_source_tenant_id_id"),
        UniqueConstraint("project_id", name="uq_code_source_project"),
    )

    project_id: uuid.UUID
    url: str = Field(max_length=SOURCE_URL_MAX)
    branch: str = Field(default="", max_length=BRANCH_MAX)  # "" = the remote's default branch
    scan_path: str = Field(default="", max_length=SCAN_PATH_MAX)  # "" = the repository root, shown "/"
    token_encrypted: str = ""
    token_last4: str = Field(default="", max_length=8)
    # What the last successful sync found.
    synced_branch: str = Field(default="", max_length=BRANCH_MAX)
    commit_sha: str = Field(default="", max_length=64)
    synced_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    file_count: int = 0
    skipped_count: int = 0
    line_count: int = 0
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class SourceFile(IdMixin, TenantMixin, table=True):
    __tablename__ = "source_file"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "source_id"], ["code_source.tenant_id", "code_source.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("source_id", "path", name="uq_source_file_path"),
    )

    source_id: uuid.UUID = Field(index=True)
    path: str = Field(max_length=FILE_PATH_MAX)  # relative to the repository root
    blob_sha: str = Field(default="", max_length=64)
    language: str = Field(default="", max_length=40)
    size: int = 0
    lines: int = 0
    skipped: str = Field(default="", max_length=200)  # why it is not read ("" = read)
    # What tree-sitter found (integrations/code_tags.py): {"defs": [[name, kind, line, text]],
    # "refs": {name: count}}; the repository map ranks and renders them (services/code/repo_map.py).
    symbols: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSONB)


class PatternCategory(StrEnum):
    ARCHITECTURE = "architecture"
    CONVENTION = "convention"
    RISK = "risk"


class CodePattern(IdMixin, TenantMixin, TimestampMixin, table=True):
    """A finding of a code analysis run (architecture, convention or risk) with the files it
    concerns; searchable as knowledge kind ``code_pattern`` (``{{code_patterns}}``, enrichment)."""

    __tablename__ = "code_pattern"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "id", name="uq_code_pattern_tenant_id_id"),
    )

    project_id: uuid.UUID = Field(index=True)
    run_id: uuid.UUID = Field(index=True)
    category: str = Field(max_length=20)
    title: str = Field(max_length=PATTERN_TITLE_MAX)
    text: str = ""
    files: list[str] = Field(default_factory=empty_list, sa_type=JSONB)
