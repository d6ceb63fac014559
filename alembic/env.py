"""Alembic environment: the only way the schema changes. Runs as the owner role."""

from __future__ import annotations

from logging.config import fileConfig

from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import nyx_app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from nyx_app.db.knowledge_indexes import PREFIX as TENANT_INDEX_PREFIX
from nyx_app.db.urls import owner_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


# Expression indexes (full-text) are written by hand in migrations: Alembic cannot compare the
# expression PostgreSQL prints back with the model's, and would propose drop + create forever.
# tests/db/test_migrations.py checks they exist.
# The HNSW indexes over ``embedding::halfvec(N)`` (0016_knowledge) are expression indexes too.
EXPRESSION_INDEXES = {
    "ix_memory_entry_fts",
    "ix_knowledge_embedding_hnsw_384",
    "ix_knowledge_embedding_hnsw_768",
    "ix_knowledge_embedding_hnsw_1536",
}


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if type_ == "index" and name in EXPRESSION_INDEXES:
        return False
    # Per-tenant HNSW indexes come and go with tenants' sizes (db/knowledge_indexes.py), not migrations.
    if type_ == "index" and name and name.startswith(TENANT_INDEX_PREFIX):
        return False
    # Tables we do not model (procrastinate's queue tables, for instance) are never dropped.
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations_online() -> None:
    url = config.attributes.get("url") or owner_url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            include_object=_include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
