"""project model: the LLM a project uses first ("provider/model")

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing projects get the catalog's default for new projects.
    op.add_column(
        "project",
        sa.Column(
            "llm_model",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=False,
            server_default="anthropic/claude-sonnet-4-6",
        ),
    )
    op.alter_column("project", "llm_model", server_default=None)


def downgrade() -> None:
    op.drop_column("project", "llm_model")
