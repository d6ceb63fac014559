"""P4: vector and hybrid search at 100,000 items over 10 tenants of uneven size, under RLS.

    PYTHONPATH=. .venv/bin/python scripts/bench/knowledge_p4.py [--items 100000] [--queries 100]

Its own database (nyx_bench_p4), migrated like the app's. 10 tenants: one holds 50 % of the items,
one 5 %, the rest share 45 %. Every item has a ``knowledge_item`` row (a 4-word title, a 20-word
body from a 2,000-word vocabulary) and two embeddings: 1536 dimensions (a provider's model) and
384 (the local embedder's). Vectors lie near a 48-dimensional subspace (random directions of a
48-d Gaussian + a little noise), so nearest neighbours are well defined, as with real embeddings
(uniform noise in 1,536 dimensions makes every item about equally far: "recall" is then a coin
toss among near-ties); a query is an item's vector plus noise.

Loading: INSERT through the owner role with the tenant set (COPY is refused under forced RLS),
the HNSW indexes dropped first and built after (the maintenance path: ``maintenance_work_mem``
2 GB), with the migration's own definitions.

The word leg is measured twice: with ``ts_match_vq`` as the embedded bootstrap leaves it
(LEAKPROOF, so the GIN index runs before the tenant policy) and as PostgreSQL ships it.

Measured as the app role (RLS bound), on the search engine's connections (no prepared plans) with
the app's settings (``hnsw.iterative_scan = relaxed_order``, ``ef_search`` 100):
- the vector leg alone as the app runs it (its pool of 50 in relaxed order, re-sorted by ``d + 0``:
  ordered by ``d`` the planner skipped the sort and took the first 10 in relaxed order; the tenant
  named, so a tenant's own index is used), top 10,
  for the 50 % and the 5 % tenant: p50 / p95 ms, recall@10 against
  exact search (numpy, the same cosine), and how many queries returned fewer than 10 rows;
- the whole hybrid statement (vector top-50 + full text top-50, fused, marked passages), top 10:
  p50 / p95 ms.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

os.environ["NYX_DATABASE_NAME"] = "nyx_bench_p4"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from sqlalchemy import text

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines, owner_engine
from nyx_app.db.knowledge_indexes import MIN_ROWS, sync_tenant_indexes
from nyx_app.db.session import search_transaction
from nyx_app.db.urls import libpq_url, owner_url
from nyx_app.services.knowledge.search import POOL, hybrid_sql
from nyx_app.services.memory import Marks
from nyx_app.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
SHARES = [0.50, 0.05] + [0.45 / 8] * 8
MODELS = {1536: "bench/provider-1536", 384: "bench/local-384"}
LATENT = 48
BATCH = 1_000


def _migration() -> object:
    path = ROOT / "alembic" / "versions" / "0016_knowledge.py"
    spec = importlib.util.spec_from_file_location("knowledge_migration", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vectors(rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    basis = rng.standard_normal((LATENT, dims)).astype(np.float32)
    x = rng.standard_normal((n, LATENT)).astype(np.float32) @ basis
    x += 0.05 * np.sqrt(LATENT) * rng.standard_normal((n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def load(n: int) -> dict[str, object]:
    rng = np.random.default_rng(4)
    vocab = [f"w{i:04d}" for i in range(2_000)]
    words = rng.integers(0, len(vocab), (n, 24))
    sizes = [int(n * s) for s in SHARES]
    sizes[-1] += n - sum(sizes)
    tenant_of = np.repeat(np.arange(len(SHARES)), sizes)
    tenants = [uuid.uuid4() for _ in SHARES]
    items = [uuid.uuid4() for _ in range(n)]
    data = {d: vectors(rng, n, d) for d in MODELS}
    migration = _migration()
    started = time.perf_counter()
    with psycopg.connect(libpq_url(owner_url()), autocommit=True) as conn:
        register_vector(conn)
        for d in MODELS:
            conn.execute(f"DROP INDEX IF EXISTS ix_knowledge_embedding_hnsw_{d}")
        for t, tenant in enumerate(tenants):
            conn.execute("INSERT INTO tenant (id, name) VALUES (%s, %s)", (tenant, f"Bench {t}"))
        for t, tenant in enumerate(tenants):
            rows = np.flatnonzero(tenant_of == t)
            for start in range(0, len(rows), BATCH):
                chunk = rows[start : start + BATCH]
                with conn.transaction():
                    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
                    with conn.cursor() as cur:
                        cur.executemany(
                            "INSERT INTO knowledge_item (id, tenant_id, kind, item_id, title, body, content_hash, "
                            "item_updated_at, embed_error, embed_attempts) "
                            "VALUES (gen_random_uuid(), %s, 'note', %s, %s, %s, 'x', now(), '', 0)",
                            [
                                (tenant, items[i], " ".join(vocab[w] for w in words[i, :4]),
                                 " ".join(vocab[w] for w in words[i, 4:]))
                                for i in chunk
                            ],
                        )  # fmt: skip
                        for d, model in MODELS.items():
                            cur.executemany(
                                "INSERT INTO knowledge_embedding (tenant_id, kind, item_id, model, dims, embedding, "
                                "content_hash, embedded_at) VALUES (%s, 'note', %s, %s, %s, %s, 'x', now())",
                                [(tenant, items[i], model, d, data[d][i]) for i in chunk],
                            )
        conn.execute("DELETE FROM procrastinate_jobs")  # the embedding jobs the inserts queued
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '2GB'")
        for d in MODELS:
            conn.execute(migration.hnsw_index(d))  # type: ignore[attr-defined]
        conn.execute("ANALYZE knowledge_item")
        conn.execute("ANALYZE knowledge_embedding")
        indexed = time.perf_counter() - started
    print(
        f"loaded {n:,} items x 2 models by INSERT in {loaded:.0f} s; HNSW indexes built in {indexed:.0f} s", flush=True
    )
    return {"tenants": tenants, "tenant_of": tenant_of, "items": items, "data": data, "words": words, "vocab": vocab}


def reload() -> dict[str, object]:
    """The largest and the smallest tenant of a database loaded before, read back (owner role,
    one tenant at a time: FORCE binds the owner too)."""
    vocab = [f"w{i:04d}" for i in range(2_000)]
    with psycopg.connect(libpq_url(owner_url())) as conn:
        register_vector(conn)
        sizes = conn.execute("SELECT id FROM tenant ORDER BY name").fetchall()
        counts = []
        for (tenant,) in sizes:
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
                counts.append((conn.execute("SELECT count(*) FROM knowledge_item").fetchone()[0], tenant))  # type: ignore[index]
        counts.sort(key=lambda c: -c[0])
        chosen = [counts[0][1], counts[-1][1]]
        items, tenant_of, words, data = [], [], [], {d: [] for d in MODELS}  # type: ignore[var-annotated]
        for t, tenant in enumerate(chosen):
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
                rows = conn.execute(
                    "SELECT i.item_id, i.body, a.embedding, b.embedding FROM knowledge_item i "
                    "JOIN knowledge_embedding a ON a.item_id = i.item_id AND a.model = %s "
                    "JOIN knowledge_embedding b ON b.item_id = i.item_id AND b.model = %s",
                    (MODELS[1536], MODELS[384]),
                ).fetchall()
            for item, body, big, small in rows:
                items.append(item)
                tenant_of.append(t)
                words.append([0, 0, 0, 0, *(int(w[1:]) for w in body.split())])
                data[1536].append(np.asarray(big.to_numpy(), dtype=np.float32))
                data[384].append(np.asarray(small.to_numpy(), dtype=np.float32))
    print(f"measuring the database loaded before: tenants of {counts[0][0]:,} and {counts[-1][0]:,} items", flush=True)
    return {
        "tenants": chosen, "tenant_of": np.array(tenant_of), "items": items, "words": np.array(words),
        "vocab": vocab, "data": {d: np.vstack(v) for d, v in data.items()},
    }  # fmt: skip


def tenant_indexes(on: bool) -> None:
    """Per-tenant HNSW indexes as ``python -m nyx_app.cli knowledge-indexes`` makes them (or none)."""
    started = time.perf_counter()
    changes = sync_tenant_indexes(owner_engine(), MODELS, min_rows=MIN_ROWS if on else 2**62)
    with psycopg.connect(libpq_url(owner_url()), autocommit=True) as conn:
        conn.execute("ANALYZE knowledge_embedding")
    print(
        f"per-tenant indexes ({MIN_ROWS:,}+ vectors): {len(changes.created)} built, {len(changes.kept)} kept, "
        f"{len(changes.dropped)} dropped in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def leakproof(on: bool) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from nyx_app.db.urls import admin_url

    url = make_url(admin_url()).set(database=get_settings().database_name)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    marked = "LEAKPROOF" if on else "NOT LEAKPROOF"
    with engine.connect() as conn:
        conn.execute(text(f"ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) {marked}"))
    engine.dispose()


async def measure(world: dict[str, object], queries: int) -> None:
    rng = np.random.default_rng(7)
    tenant_of: np.ndarray = world["tenant_of"]  # type: ignore[assignment]
    items: list[uuid.UUID] = world["items"]  # type: ignore[assignment]
    words: np.ndarray = world["words"]  # type: ignore[assignment]
    vocab: list[str] = world["vocab"]  # type: ignore[assignment]
    for dims, model in MODELS.items():
        data: np.ndarray = world["data"][dims]  # type: ignore[index]
        for t, label in ((0, "50 %"), (1, "5 %")):
            tenant = world["tenants"][t]  # type: ignore[index]
            own = np.flatnonzero(tenant_of == t)
            picks = rng.choice(own, queries, replace=False)
            qs = data[picks] + 0.02 * rng.standard_normal((queries, dims)).astype(np.float32)
            qs /= np.linalg.norm(qs, axis=1, keepdims=True)
            exact = [set(own[np.argsort(-(data[own] @ q))[:10]]) for q in qs]
            leg = (
                f"SELECT item_id FROM (SELECT e.item_id, e.embedding::halfvec({dims}) <=> CAST(:q AS halfvec({dims})) "
                f"AS d FROM knowledge_embedding e WHERE e.dims = {dims} AND e.model = :m "
                "AND e.tenant_id = CAST(:t AS uuid) "
                f"ORDER BY e.embedding::halfvec({dims}) <=> CAST(:q AS halfvec({dims})) LIMIT {POOL}) x "
                "ORDER BY d + 0 LIMIT 10"
            )
            index_of = {items[i]: i for i in own}
            times, recalls, short = [], [], 0
            for q, want in zip(qs, exact, strict=True):
                literal = "[" + ",".join(f"{x:.6g}" for x in q) + "]"
                async with search_transaction(tenant) as s:
                    started = time.perf_counter()
                    got = (await s.execute(text(leg), {"q": literal, "m": model, "t": str(tenant)})).scalars().all()
                    times.append((time.perf_counter() - started) * 1000)
                short += len(got) < 10
                recalls.append(len({index_of[g] for g in got} & want) / 10)
            hybrid = {}
            for on in (True, False):
                leakproof(on)
                await dispose_engines()  # fresh connections: no plan made under the other setting
                htimes = []
                for i, q in enumerate(qs):
                    literal = "[" + ",".join(f"{x:.6g}" for x in q) + "]"
                    w = words[picks[i]]
                    marks = Marks.fresh()
                    params = {
                        "q": f"{vocab[w[5]]} {vocab[w[9]]}", "qvec": literal, "model": model, "kinds": None,
                        "tenant": str(tenant), "project": None, "pool": POOL, "limit": 10, "max_distance": 2.0,
                        "with_body": False,
                        "title_options": f"StartSel={marks.start}, StopSel={marks.stop}, HighlightAll=true",
                        "passage_options": f"StartSel={marks.start}, StopSel={marks.stop}, MaxWords=35, MinWords=15",
                    }  # fmt: skip
                    async with search_transaction(tenant) as s:
                        started = time.perf_counter()
                        (await s.execute(text(hybrid_sql(dims)), params)).all()
                        htimes.append((time.perf_counter() - started) * 1000)
                hybrid[on] = f"p50 {pct(htimes, 50):5.1f} ms p95 {pct(htimes, 95):5.1f} ms"
            leakproof(True)
            print(
                f"{dims:>5}-d  tenant {label:>4} ({len(own):>6,} rows): vector top-10 p50 {pct(times, 50):5.1f} ms "
                f"p95 {pct(times, 95):5.1f} ms, recall@10 {statistics.mean(recalls):.3f} "
                f"(min {min(recalls):.1f}), short results {short}/{queries}; hybrid top-10 {hybrid[True]} "
                f"(word leg not leakproof: {hybrid[False]}); load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="measure the database a previous run loaded")
    parser.add_argument(
        "--no-tenant-indexes", action="store_true", help="drop the per-tenant indexes: every tenant on the shared one"
    )
    args = parser.parse_args()
    if args.reuse:
        world = reload()
    else:
        prepare(get_settings(), recreate=True)
        world = load(args.items)
    tenant_indexes(not args.no_tenant_indexes)
    asyncio.run(run(world, args.queries))


async def run(world: dict[str, object], queries: int) -> None:
    try:
        await measure(world, queries)
    finally:
        await dispose_engines()


if __name__ == "__main__":
    main()
