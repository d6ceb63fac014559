"""Per-tenant HNSW indexes over ``knowledge_embedding`` (owner role, maintenance).

Why (scripts/bench/knowledge_p4.py, 100,000 items over 10 tenants): the shared per-dimension index
(0016_knowledge, ``WHERE dims = N``) holds every tenant's vectors, and RLS filters after the index
scan. A tenant with 5 % of the rows needs about 1,200 index tuples visited (and ~20,000 distance
computations) to collect the 50 nearest of its own: 160-200 ms p50 here, with ``shared_buffers``
large enough to hold the index. ``ef_search``, strict order or a smaller pool do not change that
ratio. A partial index over one tenant's rows (``WHERE dims = N AND tenant_id = '…'``) is a graph
of that tenant alone: the same query took 8 ms p50 with recall@10 1.0 (EXPLAIN and figures in the
bench's docstring).

The vector leg of search (services/knowledge/search.py) names the tenant in its WHERE clause
(``e.tenant_id = :tenant``, the same tenant the RLS policy compares with), so the planner, which
plans these statements with their values (no prepared plans on the search connections), proves
the partial index's predicate and uses it; tenants without one use the shared index as before.

A tenant gets its own index for a dimension from ``MIN_ROWS`` vectors of it; below, the shared index
serves well enough. An index goes again below ``MIN_ROWS // 2`` (no flapping around the threshold)
and when its tenant is gone. Built ``CONCURRENTLY`` (no write lock on the table); an invalid index
a failed build left behind is dropped and built again. Run by ``python -m nyx_app.cli prepare``
and ``python -m nyx_app.cli knowledge-indexes``. The cost: a tenant's insert updates two HNSW
graphs (the shared one and its own).

Alembic does not model these indexes: ``alembic/env.py`` skips every index named with ``PREFIX``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text

PREFIX = "ix_knowledge_embedding_t_"
MIN_ROWS = 1_000
# HNSW builds fast while the graph fits in maintenance_work_mem and slowly on disk after: a tenant's
# 50,000 vectors of 1536 dimensions took over 5 minutes with the default 64 MB here.
BUILD_MEMORY = "1GB"
_LOCK_KEY = 7_301_530_016  # pg_try_advisory_lock: one sync at a time per database


@dataclass(slots=True)
class IndexChanges:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def index_name(tenant_id: uuid.UUID, dims: int) -> str:
    return f"{PREFIX}{tenant_id.hex}_{int(dims)}"  # 62 characters at most: within PostgreSQL's 63


def _parse(name: str) -> tuple[uuid.UUID, int] | None:
    hexpart, _, dims = name.removeprefix(PREFIX).partition("_")
    try:
        return uuid.UUID(hex=hexpart), int(dims)
    except ValueError:
        return None


def create_sql(tenant_id: uuid.UUID, dims: int) -> str:
    """The shared index's definition (0016_knowledge.hnsw_index) narrowed to one tenant."""
    d = int(dims)
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name(tenant_id, d)} ON knowledge_embedding "
        f"USING hnsw ((embedding::halfvec({d})) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64) "
        f"WHERE dims = {d} AND tenant_id = '{uuid.UUID(str(tenant_id))}'::uuid"
    )


def _counts(engine: Engine, dimensions: Iterable[int]) -> dict[tuple[uuid.UUID, int], int]:
    """Vectors per (tenant, dimension). The owner is bound by the forced policies too: one tenant at a time."""
    dims = [int(d) for d in dimensions]
    counts: dict[tuple[uuid.UUID, int], int] = {}
    with engine.connect() as conn:
        tenants = list(conn.scalars(text("SELECT id FROM tenant")))
        conn.rollback()
        for tenant in tenants:
            with conn.begin():
                conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant)})
                rows = conn.execute(
                    text("SELECT dims, count(*) FROM knowledge_embedding WHERE dims = ANY(:d) GROUP BY dims"),
                    {"d": dims},
                ).tuples()
                for d, n in rows:
                    counts[(tenant, int(d))] = int(n)
    return counts


def _existing(engine: Engine) -> dict[str, bool]:
    """Per-tenant indexes there now, and whether each is valid (a failed concurrent build is not)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = to_regclass('knowledge_embedding') AND c.relname LIKE :p"
            ),
            {"p": PREFIX.replace("_", r"\_") + "%"},
        ).tuples()
        return {name: bool(valid) for name, valid in rows}


def sync_tenant_indexes(
    engine: Engine, dimensions: Iterable[int], *, min_rows: int = MIN_ROWS, build_memory: str = BUILD_MEMORY
) -> IndexChanges:
    """Create the per-tenant indexes that are due, drop those no longer wanted. ``engine``: the owner's."""
    dims = [int(d) for d in dimensions]
    changes = IndexChanges()
    auto = engine.execution_options(isolation_level="AUTOCOMMIT")
    with auto.connect() as conn:
        # Two processes starting at once (cli prepare): one does the work, the other finds it done later.
        if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY}):
            return changes
        try:
            _sync(conn, engine, dims, min_rows, build_memory, changes)
        finally:
            conn.execute(text("RESET maintenance_work_mem"))
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
    return changes


def _sync(
    conn: Connection, engine: Engine, dims: list[int], min_rows: int, build_memory: str, changes: IndexChanges
) -> None:
    counts = _counts(engine, dims)
    existing = _existing(engine)
    conn.execute(text("SELECT set_config('maintenance_work_mem', :m, false)"), {"m": build_memory})
    for name, valid in sorted(existing.items()):
        key = _parse(name)
        wanted = key is not None and key[1] in dims and counts.get(key, 0) >= min_rows // 2
        if not wanted or not valid:
            conn.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'))
            changes.dropped.append(name)
        else:
            changes.kept.append(name)
    for (tenant, d), n in sorted(counts.items(), key=lambda c: (str(c[0][0]), c[0][1])):
        name = index_name(tenant, d)
        if n >= min_rows and name not in changes.kept:
            conn.execute(text(create_sql(tenant, d)))
            changes.created.append(name)
