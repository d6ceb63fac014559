"""Per-tenant HNSW indexes (db/knowledge_indexes.py): built for a tenant with enough vectors,
used by that tenant's vector leg only, results unchanged, and the ranks re-sorted after the
relaxed-order scan."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from nyx_app.db.engine import owner_engine
from nyx_app.db.knowledge_indexes import index_name, sync_tenant_indexes
from nyx_app.db.session import search_transaction, transaction
from nyx_app.models.knowledge import INDEXED_DIMENSIONS
from nyx_app.services.knowledge.search import POOL, SearchRequest, hybrid_sql, search
from nyx_app.services.memory import Marks
from tests.factories import Account, TenantFactory
from tests.services.knowledge.helpers import embed_all, project_with_notes
from tests.services.knowledge.test_search import CREDIT, POSTMORTEM, STANDUP

MIN_ROWS = 3  # the real threshold is 1,000 vectors; the rule is the same
SHARED = "ix_knowledge_embedding_hnsw_384"


@pytest.fixture
async def no_tenant_indexes_after(tenants: TenantFactory) -> AsyncIterator[None]:
    yield
    sync_tenant_indexes(owner_engine(), INDEXED_DIMENSIONS, min_rows=2**62)  # drops every one


async def _vector_plan(a: Account) -> str:
    """EXPLAIN ANALYZE of the app's whole statement for ``a`` as the app role, sequential scans
    priced out (a test table of a few rows would be read whole otherwise)."""
    async with transaction(a.ctx.tenant_id) as s:
        qvec, model = (await s.execute(text("SELECT embedding::text, model FROM knowledge_embedding LIMIT 1"))).one()
    marks = Marks.fresh()
    params = {
        "q": "release", "qvec": qvec, "model": model, "tenant": str(a.ctx.tenant_id), "kinds": None,
        "project": None, "pool": POOL, "limit": 10, "max_distance": 2.0, "with_body": False,
        "title_options": f"StartSel={marks.start}, StopSel={marks.stop}",
        "passage_options": f"StartSel={marks.start}, StopSel={marks.stop}",
    }  # fmt: skip
    async with search_transaction(a.ctx.tenant_id) as s:
        await s.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await s.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + hybrid_sql(384)), params)
        return "\n".join(r[0] for r in rows)


async def test_a_tenant_with_enough_vectors_is_searched_in_its_own_index_with_the_same_results(
    tenants: TenantFactory, no_tenant_indexes_after: None
) -> None:
    a, b = await tenants.create(), await tenants.create()
    await project_with_notes(a, POSTMORTEM, CREDIT, STANDUP)
    await project_with_notes(b, CREDIT)
    await embed_all(a)
    await embed_all(b)
    queries = ("the AI vendor ran out of prepaid money", "schema push", "who refactored the login page")
    before = [[(h.item_id, h.matched_by) for h in (await search(a.ctx, SearchRequest(q))).hits] for q in queries]

    # Other tests' tenants share this database: only a's and b's indexes are this test's business.
    changes = sync_tenant_indexes(owner_engine(), INDEXED_DIMENSIONS, min_rows=MIN_ROWS)
    assert index_name(a.ctx.tenant_id, 384) in changes.created
    assert index_name(b.ctx.tenant_id, 384) not in changes.created  # b has 1 vector: the shared index
    assert sync_tenant_indexes(owner_engine(), INDEXED_DIMENSIONS, min_rows=MIN_ROWS).created == []  # idempotent

    plan_a, plan_b = await _vector_plan(a), await _vector_plan(b)
    # Which index the planner takes for a's three rows depends on the statistics of the whole shared
    # test database (in the full suite it read a's rows without HNSW at all); what must hold: no
    # other tenant's index for a, never a's index for b. scripts/bench/knowledge_p4.py shows the
    # choice at volume (EXPLAIN: the tenant's own index).
    others = {name for name in changes.created if name != index_name(a.ctx.tenant_id, 384)}
    assert not any(name in plan_a for name in others)
    assert index_name(a.ctx.tenant_id, 384) not in plan_b
    after = [[(h.item_id, h.matched_by) for h in (await search(a.ctx, SearchRequest(q))).hits] for q in queries]
    assert after == before
    assert (await search(b.ctx, SearchRequest("schema push"))).hits == []  # a's index shows b nothing


async def test_the_vector_ranks_are_sorted_again_after_the_relaxed_order_scan(
    tenants: TenantFactory, no_tenant_indexes_after: None
) -> None:
    a = await tenants.create()
    await project_with_notes(a, POSTMORTEM, CREDIT, STANDUP)
    await embed_all(a)
    plan = await _vector_plan(a)
    assert "Index Scan using" in plan  # the HNSW scan, whose relaxed order is only approximately sorted
    # Ranked by distance, the planner would take the scan's order as sorted and break ties only.
    assert "Presorted Key: nearest.distance" not in plan
    assert "Sort Key: ((nearest.distance + '0'::double precision)), nearest.item_id" in plan


async def test_an_index_goes_when_its_tenant_shrinks_below_half_the_threshold_or_is_gone(
    tenants: TenantFactory, no_tenant_indexes_after: None
) -> None:
    a, b = await tenants.create(), await tenants.create()
    await project_with_notes(a, POSTMORTEM, CREDIT, STANDUP)
    await project_with_notes(b, POSTMORTEM, CREDIT, STANDUP)
    await embed_all(a)
    await embed_all(b)
    ours = {index_name(a.ctx.tenant_id, 384), index_name(b.ctx.tenant_id, 384)}
    created = sync_tenant_indexes(owner_engine(), INDEXED_DIMENSIONS, min_rows=MIN_ROWS).created
    assert ours <= set(created)  # other tests' tenants in this database may get theirs too

    async with transaction(a.ctx.tenant_id) as s:  # 1 of 3 left: half the threshold (3 // 2 = 1) keeps it
        await s.execute(text("DELETE FROM knowledge_item WHERE title <> :t"), {"t": STANDUP[0]})
    kept = sync_tenant_indexes(owner_engine(), INDEXED_DIMENSIONS, min_rows=MIN_ROWS)
    assert index_name(a.ctx.tenant_id, 384) in kept.kept and kept.created == [] and kept.dropped == []
    async with transaction(a.ctx.tenant_id) as s:
        await s.execute(text("DELETE FROM knowledge_item"))
    with owner_engine().begin() as conn:
        conn.execute(text("DELETE FROM tenant WHERE id = :t"), {"t": b.ctx.tenant_id})
    gone = sync_tenant_indexes(owner_engine(), INDEXED_DIMENSIONS, min_rows=MIN_ROWS)
    assert ours <= set(gone.dropped)
    with owner_engine().connect() as conn:
        names = text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_knowledge_embedding_t_%'")
        left = set(conn.scalars(names))
    assert not ours & left
