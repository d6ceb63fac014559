"""Benchmark: ways to search a project's notes, as the app role under row-level security.

    PYTHONPATH=. .venv/bin/python scripts/bench/note_search.py

Its own database (nyx_bench_search): one tenant with a project of 200 notes and one of 2,000, plus
8,000 notes in other projects, ~1.5 KB of Markdown each. Each variant runs a few queries (a word,
a prefix, two words, a word in no note), 30 times each; median and p95 of one query, in ms.

- ilike: every word as ``ILIKE '%word%'`` on title and content (no text index: none is used
  under RLS, see below; pg_trgm is not in the embedded server either);
- fts live: ``to_tsvector('simple', title || ' ' || content) @@ to_tsquery('simple', 'word:*')``,
  the document parsed per row at query time;
- fts stored: the same query on a stored generated tsvector column (what the app uses).

A GIN index on the tsvector does not help here: ``@@`` and ``ILIKE`` are not LEAKPROOF, so under
RLS PostgreSQL must check the policy first and cannot use them as index conditions
(RECIPES.md, "Full text under RLS"). The btree on project_id narrows each query to the project.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ["NYX_DATABASE_NAME"] = "nyx_bench_search"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.services import notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.notes import NoteQuery, NoteSort
from nyx_app.settings import get_settings
from scripts.bench.page_fixtures import _context, note_markdown

QUERIES = ["deploy", "scre", "token cache", "zebra"]
RUNS = 30

VARIANTS = {
    "ilike": (
        "SELECT id FROM project_note WHERE project_id = :p AND {words} ORDER BY updated_at DESC LIMIT 24",
        "(title || ' ' || content) ILIKE :w{i}",
    ),
    "fts live": (
        "SELECT id FROM project_note WHERE project_id = :p AND "
        "to_tsvector('simple', title || ' ' || content) @@ to_tsquery('simple', :q) ORDER BY updated_at DESC LIMIT 24",
        "",
    ),
    "fts stored": (
        "SELECT id FROM project_note WHERE project_id = :p AND search_vector @@ to_tsquery('simple', :q) "
        "ORDER BY updated_at DESC LIMIT 24",
        "",
    ),
}


async def seed() -> tuple[TenantContext, dict[int, str]]:
    ctx = await _context(f"search{time.time_ns()}@example.com")
    rnd = random.Random(3)
    sizes = {200: "", 2000: ""}
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        for size in (*sizes, *([1000] * 8)):
            project = await projects.create_project(s, ctx, f"Project {size} {rnd.random()}")
            if size in sizes and not sizes[size]:
                sizes[size] = str(project.id)
            for i in range(size):
                await notes.create_note(s, ctx, project.id, f"Note {i}", note_markdown(rnd))
    return ctx, sizes


async def timed(ctx: TenantContext, sql: str, params: dict) -> float:
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        start = time.perf_counter()
        await s.execute(text(sql), params)
        return (time.perf_counter() - start) * 1000


def _params(name: str, query: str, project_id: str) -> tuple[str, dict]:
    sql, word_sql = VARIANTS[name]
    words = query.split()
    params: dict = {"p": project_id, "q": " & ".join(f"{w}:*" for w in words)}
    if word_sql:
        params |= {f"w{i}": f"%{w}%" for i, w in enumerate(words)}
        sql = sql.format(words=" AND ".join(word_sql.format(i=i) for i in range(len(words))))
    return sql, params


async def run() -> None:
    ctx, projects_by_size = await seed()
    print("10,000 notes in the tenant; median / p95 of one query in ms")
    for size, project_id in projects_by_size.items():
        for name in [*VARIANTS, "service"]:
            samples = []
            for query in QUERIES:
                for _ in range(RUNS):
                    if name == "service":
                        start = time.perf_counter()
                        async with transaction(ctx.tenant_id, ctx.user_id) as s:
                            await notes.list_cards(s, ctx, project_id, NoteQuery(text=query, sort=NoteSort.UPDATED))
                        samples.append((time.perf_counter() - start) * 1000)
                    else:
                        samples.append(await timed(ctx, *_params(name, query, project_id)))
            p95 = statistics.quantiles(samples, n=20)[-1]
            label = "service (list_cards, whole page)" if name == "service" else name
            print(f"  {size:>5} notes  {label:34s} {statistics.median(samples):6.1f} / {p95:6.1f}")


def main() -> int:
    # SQLModel nags on session.execute() with plain SQL text; that is what this script means to run.
    warnings.simplefilter("ignore", DeprecationWarning)
    prepare(get_settings(), recreate=True)

    async def go() -> None:
        try:
            await run()
        finally:
            await dispose_engines()

    asyncio.run(go())
    return 0


if __name__ == "__main__":
    sys.exit(main())
