"""Hybrid search: meaning (vectors) and words (full text) fused in one SQL statement.

The rule, reciprocal-rank fusion: each list ranks its best ``POOL`` (50) items; an item's score is
Σ 1/(60 + rank) over the lists it is in. Ranks, not raw scores, so cosine distances and ts_rank
values (on different scales) never need weighing against each other; an item found both ways
rises above one found one way. Measured on the labelled set (scripts/bench/retrieval_quality.py):
hybrid keeps the embedder's recall on queries by meaning and full text's on queries by words.

- Vector leg: the tenant's current model only (``e.model = :model``, its dimension's partial HNSW
  index), under RLS with ``hnsw.iterative_scan = relaxed_order`` (db/session.search_transaction),
  re-sorted by distance; hits farther than the model's ``max_distance`` are dropped, so a query
  that means nothing does not return the "least unrelated" items.
- Word leg: ``websearch_to_tsquery`` (every word must match; "or", quotes and -word work as users
  expect), ranked by ``ts_rank_cd`` over title (A) and body (B).
- Why: "both", "words" or "meaning". Passages: ``ts_headline`` with markers made fresh per search
  (letters and digits only); the page escapes the whole text and turns only the markers into
  ``<mark>`` (``integrations.markdown.highlight``), so nothing an item contains becomes markup.

No embedding (the provider is down, the query has no vector yet): words only, and the result
says so in ``note``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import text

from nyx_app.db.session import search_transaction, transaction
from nyx_app.integrations.llm_errors import ProviderFailure
from nyx_app.integrations.minilm import ModelMissing
from nyx_app.models.knowledge import FTS_CONFIG, INDEXED_DIMENSIONS, KnowledgeKind
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.knowledge import embedding_model
from nyx_app.services.knowledge.indexer import vector_literal
from nyx_app.services.memory import Marks
from nyx_app.services.validation import TextKind, optional_text, parse_id

log = logging.getLogger(__name__)

QUERY_MAX = 500
POOL = 50
RRF_K = 60
LIMIT_MAX = 50
# Cosine distance beyond which a "meaning" hit is noise. MiniLM: unrelated texts sit at ~0.8-1.0,
# the labelled set's relevant hits at <= 0.7. Providers' models spread differently: looser.
MAX_DISTANCE = {embedding_model.DEFAULT_MODEL: 0.75}
MAX_DISTANCE_DEFAULT = 0.85
# Lists that filter in their own scope (the Memory Hub, a project's Notes tab) count what matches:
# there only close meaning matches join the word matches (MiniLM cosine >= 0.45; on the labelled set
# 3 % of queries had an unrelated item that close, against 93 % at the search box's 0.25).
SCOPED_MAX_DISTANCE = 0.55
_TITLE_OPTIONS = "HighlightAll=true"
_PASSAGE_OPTIONS = 'MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
_HEADLINE_CHARS = 20_000


class MatchedBy(StrEnum):
    WORDS = "words"
    MEANING = "meaning"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str
    kinds: Sequence[KnowledgeKind] = ()  # () = every kind
    project_id: str | uuid.UUID | None = None
    limit: int = 20
    with_body: bool = False  # the stored text too (retrieval for prompts)
    max_distance: float | None = None  # None: the model's own cutoff (MAX_DISTANCE)


@dataclass(frozen=True, slots=True)
class Hit:
    kind: KnowledgeKind
    item_id: uuid.UUID
    parent_id: uuid.UUID | None  # the row to open when not the item itself (a run output's run)
    project_id: uuid.UUID | None
    project_name: str
    title_marked: str
    passage_marked: str
    updated_at: datetime
    score: float
    matched_by: MatchedBy
    distance: float | None  # cosine distance of a meaning match
    body: str = ""
    title: str = ""  # as stored, without marks


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    marks: Marks
    model: str
    note: str = ""  # what the user should know (words only, and why)
    kinds: dict[str, int] = field(default_factory=dict)  # hits per kind


def _vector_leg(dims: int) -> str:
    if dims in INDEXED_DIMENSIONS:
        distance = f"e.embedding::halfvec({dims}) <=> CAST(:qvec AS halfvec({dims}))"
    else:  # no index for this dimension: exact search (fine for small tenants)
        distance = "e.embedding <=> CAST(:qvec AS vector)"
    return f"""
    vec AS (
        SELECT kind, item_id, distance, row_number() OVER (ORDER BY distance, item_id) AS rank
        FROM (
            SELECT e.kind, e.item_id, {distance} AS distance
            FROM knowledge_embedding e
            WHERE e.dims = {int(dims)} AND e.model = :model
              AND (CAST(:kinds AS text[]) IS NULL OR e.kind = ANY(CAST(:kinds AS text[])))
              AND (CAST(:project AS uuid) IS NULL OR EXISTS (
                    SELECT 1 FROM knowledge_item p WHERE p.tenant_id = e.tenant_id AND p.kind = e.kind
                    AND p.item_id = e.item_id AND p.project_id = CAST(:project AS uuid)))
            ORDER BY {distance}
            LIMIT :pool
        ) nearest
        WHERE distance <= :max_distance
    ),"""


_NO_VECTORS = """
    vec AS (SELECT NULL::text AS kind, NULL::uuid AS item_id, NULL::float8 AS distance, NULL::bigint AS rank
            WHERE false),"""

_REST = f"""
    q AS (SELECT websearch_to_tsquery('{FTS_CONFIG}'::regconfig, :q) AS tq),
    txt AS (
        SELECT i.kind, i.item_id, row_number() OVER (ORDER BY ts_rank_cd(i.search, q.tq) DESC, i.item_id) AS rank
        FROM knowledge_item i, q
        WHERE i.search @@ q.tq
          AND (CAST(:kinds AS text[]) IS NULL OR i.kind = ANY(CAST(:kinds AS text[])))
          AND (CAST(:project AS uuid) IS NULL OR i.project_id = CAST(:project AS uuid))
        ORDER BY ts_rank_cd(i.search, q.tq) DESC, i.item_id
        LIMIT :pool
    ),
    fused AS (
        SELECT kind, item_id, sum(1.0 / ({RRF_K} + rank)) AS score,
               bool_or(leg = 'v') AS by_meaning, bool_or(leg = 't') AS by_words, min(distance) AS distance
        FROM (SELECT kind, item_id, rank, 'v' AS leg, distance FROM vec
              UNION ALL SELECT kind, item_id, rank, 't', NULL FROM txt) legs
        GROUP BY kind, item_id
        ORDER BY score DESC, item_id
        LIMIT :limit
    )
SELECT f.kind, f.item_id, f.score, f.by_meaning, f.by_words, f.distance,
       i.parent_id, i.project_id, coalesce(p.name, '') AS project_name, i.item_updated_at,
       ts_headline('{FTS_CONFIG}'::regconfig, i.title, q.tq, :title_options) AS title_marked,
       ts_headline('{FTS_CONFIG}'::regconfig, left(i.body, {_HEADLINE_CHARS}), q.tq, :passage_options)
         AS passage_marked,
       CASE WHEN :with_body THEN i.body ELSE '' END AS body, i.title
FROM fused f
JOIN knowledge_item i ON i.kind = f.kind AND i.item_id = f.item_id
LEFT JOIN project p ON p.id = i.project_id
CROSS JOIN q
ORDER BY f.score DESC, f.item_id
"""


def hybrid_sql(dims: int | None) -> str:
    """The whole statement: vector leg for ``dims`` (none: words only), word leg, fusion, rows."""
    return "WITH" + (_vector_leg(dims) if dims else _NO_VECTORS) + _REST


def check_query(query: str) -> str:
    query = optional_text(query, "The search", QUERY_MAX, kind=TextKind.PROSE).strip()
    if not query:
        raise InvalidInput("Type what you are looking for.")
    return query


async def search(ctx: TenantContext, request: SearchRequest) -> SearchResult:
    """Hybrid search for the tenant; see the module docstring. Opens its own transactions."""
    query = check_query(request.query)
    project = parse_id(request.project_id, "Project") if request.project_id else None
    limit = max(1, min(request.limit, LIMIT_MAX))
    async with transaction(ctx.tenant_id, ctx.user_id) as session:
        state = await embedding_model.current(session, ctx)
        embedder: embedding_model.Embedder | None = None
        note = ""
        try:
            embedder = await embedding_model.resolve(session, ctx, state.model)
        except ProviderFailure as failure:
            note = failure.message
    vector: list[float] | None = None
    if embedder is not None:
        try:
            vector = (await embedding_model.embed(ctx, embedder, [query], query=True))[0]
        except (ProviderFailure, ModelMissing) as failure:
            note = getattr(failure, "message", str(failure))
            log.warning("search by meaning unavailable for tenant %s: %s", ctx.tenant_id, note)
    if vector is None:
        note = f"Searching by words only: {note}" if note else "Searching by words only."
    marks = Marks.fresh()
    kinds = [k.value for k in request.kinds] or None
    params = {
        "q": query, "qvec": vector_literal(vector) if vector else None, "model": state.model,
        "kinds": kinds, "project": str(project) if project else None, "pool": POOL, "limit": limit,
        "max_distance": request.max_distance if request.max_distance is not None
        else MAX_DISTANCE.get(state.model, MAX_DISTANCE_DEFAULT),
        "with_body": request.with_body,
        "title_options": f"StartSel={marks.start}, StopSel={marks.stop}, {_TITLE_OPTIONS}",
        "passage_options": f"StartSel={marks.start}, StopSel={marks.stop}, {_PASSAGE_OPTIONS}",
    }  # fmt: skip
    async with search_transaction(ctx.tenant_id, ctx.user_id) as session:
        rows = (await session.execute(text(hybrid_sql(len(vector) if vector else None)), params)).all()
    hits = [
        Hit(
            kind=KnowledgeKind(r.kind), item_id=r.item_id, parent_id=r.parent_id, project_id=r.project_id,
            project_name=r.project_name, title_marked=r.title_marked, passage_marked=r.passage_marked,
            updated_at=r.item_updated_at, score=float(r.score),
            matched_by=MatchedBy.BOTH if r.by_meaning and r.by_words
            else MatchedBy.MEANING if r.by_meaning else MatchedBy.WORDS,
            distance=float(r.distance) if r.distance is not None else None, body=r.body, title=r.title,
        )
        for r in rows
    ]  # fmt: skip
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.kind.value] = counts.get(hit.kind.value, 0) + 1
    return SearchResult(hits, marks, state.model, note, counts)


async def retrieve(
    ctx: TenantContext,
    query: str,
    *,
    kinds: Sequence[KnowledgeKind] = (),
    project_id: str | uuid.UUID | None = None,
    limit: int = 8,
) -> list[Hit]:
    """The most relevant items for a prompt (``{{insights}}``, ``{{memory}}``, enrichment), with
    their stored text in ``body``. The query is cut to what search accepts; an empty one finds nothing."""
    query = " ".join(query.split())[:QUERY_MAX]
    if not query:
        return []
    request = SearchRequest(query, kinds=kinds, project_id=project_id, limit=limit, with_body=True)
    return (await search(ctx, request)).hits


async def ranked_ids(
    ctx: TenantContext, query: str, kind: KnowledgeKind, *, project_id: str | uuid.UUID | None = None
) -> tuple[uuid.UUID, ...]:
    """The ids of ``kind`` that hybrid search ranks for ``query`` (best first), for lists that
    search in their own scope (the Memory Hub, a project's Notes tab) and keep their own filters,
    paging and validation. Nothing for an empty or unusable query: the list's own check answers."""
    try:
        request = SearchRequest(
            query, kinds=[kind], project_id=project_id, limit=LIMIT_MAX, max_distance=SCOPED_MAX_DISTANCE
        )
        return tuple(hit.item_id for hit in (await search(ctx, request)).hits)
    except InvalidInput:
        return ()
