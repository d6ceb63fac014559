"""Knowledge: one search document per searchable item, and its embeddings per model.

``knowledge_item`` holds a copy of every searchable text (note, memory entry, insight, run output,
report; policy passages, code patterns and image descriptions later), written by database triggers
on the source tables in the same transaction as the change (db/knowledge_sql.py): no service can
forget it, and a delete (cascades included) removes the item and, by foreign key, its vectors.
Its stored ``search`` tsvector serves full text.

``knowledge_embedding`` is keyed by (tenant, kind, item, model): vectors of different models never
meet, because every query names one model and its dimension. One table for every kind, not one per
kind: the workspace search ranks all kinds in one index scan, a new kind is a trigger and not a
table + index + policy, and the kind filter is cheap after the index scan (iterative scans keep
recall, like the tenant filter). The column is an unsized ``vector``; HNSW needs a fixed dimension,
so each supported dimension has a partial expression index over ``embedding::halfvec(N)``
``WHERE dims = N`` (half the size of full precision, the same recall measured here). Dimensions
without an index (say 3072) are still searched, exactly (fine for small tenants).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pgvector.sqlalchemy import Vector
from sqlalchemy import Column, Computed, DateTime, ForeignKeyConstraint, Index, SmallInteger, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel

from nyx_app.db.base import IdMixin, TenantMixin, utcnow
from nyx_app.db.knowledge_sql import BODY_MAX, TITLE_MAX  # noqa: F401  (services read BODY_MAX here)

MODEL_MAX = 160
ERROR_MAX = 500
# Dimensions with an HNSW index (local MiniLM: 384; nomic/Arctic-style: 768; OpenAI small: 1536).
INDEXED_DIMENSIONS = (384, 768, 1536)
FTS_CONFIG = "english"
SEARCH_DOCUMENT = (
    f"setweight(to_tsvector('{FTS_CONFIG}'::regconfig, title), 'A') || "
    f"setweight(to_tsvector('{FTS_CONFIG}'::regconfig, body), 'B')"
)


class KnowledgeKind(StrEnum):
    NOTE = "note"
    MEMORY = "memory"
    INSIGHT = "insight"  # an approved review finding (workflow_insight)
    RUN_OUTPUT = "run_output"  # the outputs of a finished, succeeded run
    REPORT = "report"
    POLICY_PASSAGE = "policy_passage"
    CODE_PATTERN = "code_pattern"
    IMAGE_DESCRIPTION = "image_description"
    CONSOLIDATION_PATTERN = "pattern"  # a recurring lesson of a project (models/library.py)


class KnowledgeItem(IdMixin, TenantMixin, table=True):
    __tablename__ = "knowledge_item"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_knowledge_item_tenant_id_id"),
        UniqueConstraint("tenant_id", "kind", "item_id", name="uq_knowledge_item_source"),
        Column("search", TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True)),
        Index("ix_knowledge_item_search", "search", postgresql_using="gin"),
        Index("ix_knowledge_item_project", "tenant_id", "project_id"),
    )
    __mapper_args__ = {"exclude_properties": ["search"]}

    kind: str = Field(max_length=20)
    # The source row's id (no foreign key: sources live in several tables; triggers keep it true).
    item_id: uuid.UUID
    # The row a hit opens when it is not the item itself (a run output's run, an image's note).
    parent_id: uuid.UUID | None = Field(default=None)
    project_id: uuid.UUID | None = Field(default=None)
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(default="")
    content_hash: str = Field(max_length=32)  # md5 of title and body: what an embedding is of
    item_updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    # The last failed embedding of this text (cleared when the text changes or embedding succeeds).
    embed_error: str = Field(default="", max_length=ERROR_MAX)
    embed_attempts: int = 0


class KnowledgeEmbedding(SQLModel, table=True):
    __tablename__ = "knowledge_embedding"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "kind", "item_id"],
            ["knowledge_item.tenant_id", "knowledge_item.kind", "knowledge_item.item_id"],
            ondelete="CASCADE",
        ),
    )

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", ondelete="CASCADE", primary_key=True)
    kind: str = Field(max_length=20, primary_key=True)
    item_id: uuid.UUID = Field(primary_key=True)
    model: str = Field(max_length=MODEL_MAX, primary_key=True)
    dims: int = Field(sa_type=SmallInteger)
    embedding: list[float] = Field(sa_type=Vector())
    content_hash: str = Field(max_length=32)
    embedded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class KnowledgeSetting(SQLModel, table=True):
    """The tenant's embedding model: ``model`` answers searches; ``target_model`` is being built.

    They differ while a switch re-embeds in the background; search keeps using ``model`` (its
    vectors are complete) until every item has a vector of ``target_model``, then the job moves
    ``model`` on and deletes the old vectors.
    """

    __tablename__ = "knowledge_setting"

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", ondelete="CASCADE", primary_key=True)
    model: str = Field(max_length=MODEL_MAX)
    target_model: str = Field(max_length=MODEL_MAX)
    switched_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
