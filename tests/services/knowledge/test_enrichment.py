"""Note enrichment: a run that retrieves from all four sources (memory entries, workflow insights,
code patterns, consolidation patterns), names each with why it matched, and proposes a note the
user accepts, edits or discards — never over a newer save without being told."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.models.library import EnrichmentStatus
from nyx_app.services import enrichment, insights, notes
from nyx_app.services.errors import Conflict
from nyx_app.services.runs import control
from nyx_app.services.workflows.builtin import ANALYSE_REVIEW
from tests.factories import TenantFactory
from tests.fakes.flagship import flagship
from tests.fakes.llm_server import FakeLLM, fault, respond
from tests.runs_helpers import MODEL, Workspace, run_to_end, start, workflow, workspace
from tests.services.knowledge.helpers import embed_all, memory_entry

NOTE = ("Login lockout", "Lock the login after repeated failed passwords.")
ENRICHED = "Lock the login after repeated failed passwords.\n\nPer device, five tries [I1] [M1] [C1] [K1]."


async def _note(ws: Workspace) -> uuid.UUID:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        note = await notes.create_note(s, ws.ctx, ws.project_id, *NOTE)
    return note.id


async def _all_four_sources(ws: Workspace, fake_llm: FakeLLM) -> None:
    """One of each: a memory entry, an approved insight, a code pattern (as an imported repository
    would add: a search item of its kind), and a consolidation pattern."""
    await memory_entry(ws.account, "Failed logins", "Repeated failed logins lock the account for 15 minutes.")
    fake_llm.script(MODEL, then=respond(flagship()))
    run_id = await start(ws, await workflow(ws, template=ANALYSE_REVIEW))
    await run_to_end(ws, run_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await control.approve_review(s, ws.ctx, run_id, "review", "Failed passwords must lock the login per device.")
        await insights.create_pattern(
            s, ws.ctx, ws.project_id, kind="pitfall", title="Lockouts per account",
            text="Locking the whole account after failed passwords lets strangers lock owners out.",
        )  # fmt: skip
        await s.execute(
            text(
                "INSERT INTO knowledge_item (id, tenant_id, kind, item_id, project_id, title, body, content_hash, "
                "item_updated_at, embed_error, embed_attempts) VALUES (gen_random_uuid(), :t, 'code_pattern', "
                "gen_random_uuid(), :p, 'throttle.py: login lockout', "
                "'def check_login_lockout(device, failed_passwords)', 'x', now(), '', 0)"
            ),
            {"t": ws.ctx.tenant_id, "p": ws.project_id},
        )
    await embed_all(ws.account)


async def _enrich(ws: Workspace, note_id: uuid.UUID, fake_llm: FakeLLM) -> uuid.UUID:
    fake_llm.reset()
    fake_llm.script(MODEL, then=respond(lambda prompt: ENRICHED))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        row = await enrichment.start(s, ws.ctx, note_id)
        run_id, enrichment_id = row.run_id, row.id
    await run_to_end(ws, run_id)
    return enrichment_id


async def test_enrichment_uses_all_four_sources_and_names_them(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    note_id = await _note(ws)
    await _all_four_sources(ws, fake_llm)
    enrichment_id = await _enrich(ws, note_id, fake_llm)

    prompt = fake_llm.prompts(MODEL)[-1]
    for expected in (
        "[M1] Memory entry: Failed logins",
        "[I1] Workflow insight: Failed passwords must lock the login per device.",
        "[C1] Code pattern: throttle.py: login lockout",
        "[K1] Consolidation pattern: Lockouts per account",
        "# The note: Login lockout",
    ):
        assert expected in prompt
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        view = await enrichment.view(s, ws.ctx, enrichment_id)
    assert view.status == EnrichmentStatus.PROPOSED
    named = {g.name: [(p["ref"], p["title"], p["why"]) for p in g.passages] for g in view.groups}
    assert [g.label for g in view.groups] == [
        "Memory entry", "Workflow insight", "Code pattern", "Consolidation pattern",
    ]  # fmt: skip
    assert named["memory"][0][:2] == ("M1", "Failed logins")
    assert named["insights"][0][0] == "I1"
    assert named["code_patterns"][0][:2] == ("C1", "throttle.py: login lockout")
    assert named["patterns"][0][:2] == ("K1", "Lockouts per account")
    assert all(why in ("words", "meaning", "both") for group in named.values() for *_, why in group)
    assert view.proposal == ENRICHED
    assert [(d.kind, d.text) for d in view.diff] == [
        ("same", "Lock the login after repeated failed passwords."),
        ("add", ""),
        ("add", "Per device, five tries [I1] [M1] [C1] [K1]."),
    ]


async def test_with_nothing_to_draw_on_each_source_says_why(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    note_id = await _note(ws)
    enrichment_id = await _enrich(ws, note_id, fake_llm)
    assert fake_llm.prompts(MODEL)[-1].count("(nothing relevant found)") == 4
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        view = await enrichment.view(s, ws.ctx, enrichment_id)
    reasons = {g.name: g.empty_reason for g in view.groups if not g.passages}
    assert reasons["code_patterns"].startswith("none yet: code patterns come from importing")
    assert set(reasons) == {"memory", "insights", "code_patterns", "patterns"}


async def test_accepting_an_edited_proposal_saves_the_note_and_never_silently_over_a_newer_save(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    note_id = await _note(ws)
    enrichment_id = await _enrich(ws, note_id, fake_llm)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:  # someone saves the note meanwhile
        await notes.save_note(s, ws.ctx, note_id, title=NOTE[0], content="Edited meanwhile.", base_version=1)
    with pytest.raises(Conflict, match="saved again after this enrichment started"):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await enrichment.accept(s, ws.ctx, enrichment_id, ENRICHED)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        view = await enrichment.view(s, ws.ctx, enrichment_id)
        assert view.note_changed and view.diff[0] == enrichment.DiffLine("del", "Edited meanwhile.")
        assert (await notes.get_note(s, ws.ctx, note_id)).content == "Edited meanwhile."
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await enrichment.accept(s, ws.ctx, enrichment_id, ENRICHED + "\nMy edit.", replace_newer=True)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        note = await notes.get_note(s, ws.ctx, note_id)
        assert note.content == ENRICHED + "\nMy edit." and note.version == 3
        assert (await enrichment.view(s, ws.ctx, enrichment_id)).status == EnrichmentStatus.ACCEPTED
    with pytest.raises(Conflict, match="was accepted"):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await enrichment.discard(s, ws.ctx, enrichment_id)


async def test_discard_keeps_the_note_and_one_enrichment_per_note_runs_at_a_time(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    note_id = await _note(ws)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await enrichment.start(s, ws.ctx, note_id)
    with pytest.raises(Conflict, match="being enriched already"):
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            await enrichment.start(s, ws.ctx, note_id)
    other = await tenants.create()
    with pytest.raises(Exception, match="not found"):
        async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
            await enrichment.start(s, other.ctx, note_id)


async def test_a_discarded_proposal_leaves_the_note_as_it_was(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm)
    note_id = await _note(ws)
    enrichment_id = await _enrich(ws, note_id, fake_llm)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await enrichment.discard(s, ws.ctx, enrichment_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        assert (await notes.get_note(s, ws.ctx, note_id)).content == NOTE[1]
        assert (await enrichment.view(s, ws.ctx, enrichment_id)).status == EnrichmentStatus.DISCARDED


async def test_the_note_page_offers_an_open_enrichment_until_it_is_decided_or_its_run_failed(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm)
    note_id = await _note(ws)
    fake_llm.script(MODEL, then=fault("auth"))
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        failing = await enrichment.start(s, ws.ctx, note_id)
        assert (await enrichment.latest_for_note(s, ws.ctx, note_id)).id == failing.id  # running
    assert (await run_to_end(ws, failing.run_id)).status == "failed"
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        assert await enrichment.latest_for_note(s, ws.ctx, note_id) is None  # "Enrich" again
        assert (await enrichment.view(s, ws.ctx, failing.id)).status == EnrichmentStatus.FAILED
    proposed = await _enrich(ws, note_id, fake_llm)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        assert (await enrichment.latest_for_note(s, ws.ctx, note_id)).id == proposed
        await enrichment.discard(s, ws.ctx, proposed)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        assert await enrichment.latest_for_note(s, ws.ctx, note_id) is None
