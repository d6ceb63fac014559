"""knowledge library: policy documents and passages, consolidation patterns, note enrichments,
who wrote an image's description; three new searchable kinds

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09 20:30:00

- ``policy_document`` / ``policy_passage``: a tenant's policy library (services/policies); each
  passage is a search item of kind ``policy_passage`` (tenant-wide: no project).
- ``consolidation_pattern``: a project's recurring lessons, kind ``pattern``.
- ``note_enrichment``: one "Enrich" of a note, its run, base text and version, sources, decision.
- ``note_image.description_source`` ('' | user | ai) and ``description_attempts``: the background
  describer writes only where nobody has; existing descriptions were written by people.
  Described images are search items of kind ``image_description`` (opening their note).

Every new table is a tenant table (RLS enabled and forced, the standard policy) with composite
foreign keys to its parents. The triggers come from db/knowledge_sql.py like migration 0016's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op
from nyx_app.db.knowledge_sql import SyncSpec, backfill, drop_sync_statements, sync_statements
from nyx_app.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("policy_document", "policy_passage", "consolidation_pattern", "note_enrichment")

_NOTE_OF_IMAGE = "(SELECT n.{col} FROM project_note n WHERE n.tenant_id = {{r}}.tenant_id AND n.id = {{r}}.note_id)"
_DOCUMENT = "(SELECT d.title FROM policy_document d WHERE d.tenant_id = {r}.tenant_id AND d.id = {r}.document_id)"
# Written here, not imported: a migration must keep meaning what it meant.
SPECS = (
    SyncSpec(
        "policy_passage", "policy_passage",
        title=f"left({_DOCUMENT} || CASE WHEN {{r}}.heading <> '' THEN ' > ' || {{r}}.heading ELSE '' END, 300)",
        body="{r}.text", project="NULL::uuid", parent="{r}.document_id", update_of="heading, text",
    ),
    SyncSpec(
        "consolidation_pattern", "pattern", title="{r}.title", body="{r}.text", updated="{r}.updated_at",
        update_of="title, text, project_id",
    ),
    SyncSpec(
        "note_image", "image_description",
        title="left('Image: ' || coalesce(" + _NOTE_OF_IMAGE.format(col="title") + ", ''), 300)",
        body="{r}.description", project=_NOTE_OF_IMAGE.format(col="project_id"), parent="{r}.note_id",
        updated="{r}.updated_at", when="{r}.description <> ''", update_of="description",
    ),
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "policy_document",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("framework", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("file_key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("passage_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_policy_document_tenant_id_id"),
    )
    op.create_index(op.f("ix_policy_document_tenant_id"), "policy_document", ["tenant_id"], unique=False)
    op.create_table(
        "policy_passage",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("heading", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"], ["policy_document.tenant_id", "policy_document.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "seq", name="uq_policy_passage_seq"),
    )
    op.create_index(op.f("ix_policy_passage_document_id"), "policy_passage", ["document_id"], unique=False)
    op.create_index(op.f("ix_policy_passage_tenant_id"), "policy_passage", ["tenant_id"], unique=False)
    op.create_table(
        "consolidation_pattern",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("insight_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["project.tenant_id", "project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_consolidation_pattern_project_id"), "consolidation_pattern", ["project_id"], unique=False)
    op.create_index(op.f("ix_consolidation_pattern_tenant_id"), "consolidation_pattern", ["tenant_id"], unique=False)
    op.create_table(
        "note_enrichment",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("base_title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("base_content", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("proposal", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("accepted_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sources", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "note_id"], ["project_note.tenant_id", "project_note.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tenant_id", "run_id"], ["run.tenant_id", "run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", name="uq_note_enrichment_run"),
    )
    op.create_index(op.f("ix_note_enrichment_note_id"), "note_enrichment", ["note_id"], unique=False)
    op.create_index(op.f("ix_note_enrichment_tenant_id"), "note_enrichment", ["tenant_id"], unique=False)
    op.add_column(
        "note_image",
        sa.Column("description_source", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default=""),
    )
    op.add_column("note_image", sa.Column("description_attempts", sa.Integer(), nullable=False, server_default="0"))
    op.alter_column("note_image", "description_source", server_default=None)
    op.alter_column("note_image", "description_attempts", server_default=None)
    for table in TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    # Descriptions that exist were typed by people (FORCE binds the owner: tenant by tenant).
    op.execute(
        """
        DO $$
        DECLARE t uuid;
        BEGIN
            FOR t IN SELECT id FROM tenant LOOP
                PERFORM set_config('app.tenant_id', t::text, true);
                UPDATE note_image SET description_source = 'user' WHERE tenant_id = t AND description <> '';
            END LOOP;
            PERFORM set_config('app.tenant_id', '', true);
        END
        $$
        """
    )
    for spec in SPECS:
        for statement in sync_statements(spec):
            op.execute(statement)
        op.execute(backfill(spec))


def downgrade() -> None:
    for spec in SPECS:
        for statement in drop_sync_statements(spec):
            op.execute(statement)
    op.execute("DELETE FROM knowledge_item WHERE kind IN ('policy_passage', 'pattern', 'image_description')")
    for table in TABLES:
        for statement in disable_tenant_rls(table):
            op.execute(statement)
    op.drop_column("note_image", "description_attempts")
    op.drop_column("note_image", "description_source")
    op.drop_index(op.f("ix_note_enrichment_tenant_id"), table_name="note_enrichment")
    op.drop_index(op.f("ix_note_enrichment_note_id"), table_name="note_enrichment")
    op.drop_table("note_enrichment")
    op.drop_index(op.f("ix_consolidation_pattern_tenant_id"), table_name="consolidation_pattern")
    op.drop_index(op.f("ix_consolidation_pattern_project_id"), table_name="consolidation_pattern")
    op.drop_table("consolidation_pattern")
    op.drop_index(op.f("ix_policy_passage_tenant_id"), table_name="policy_passage")
    op.drop_index(op.f("ix_policy_passage_document_id"), table_name="policy_passage")
    op.drop_table("policy_passage")
    op.drop_index(op.f("ix_policy_document_tenant_id"), table_name="policy_document")
    op.drop_table("policy_document")
