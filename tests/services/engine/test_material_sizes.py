"""The estimate counts the project's material in SQL instead of reading it: the counts stay close
to what a run would put in its prompts."""

from __future__ import annotations

from nyx_app.db.session import transaction
from nyx_app.services import memory
from nyx_app.services.engine import material
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import workspace


async def test_sizes_match_what_a_run_would_gather(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=5, images=3)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await memory.create_entry(s, ws.ctx, title="A lesson", content="Alarms are seen, not only heard.")
    async with transaction(ws.ctx.tenant_id) as s:
        found = await material.gather(s, ws.project_id)
        sized = await material.sizes(s, ws.project_id)
    assert (sized.model, sized.images) == (found.project_model, len(found.images)) == ("anthropic/claude-sonnet-4-6", 3)
    assert abs(sized.notes_chars - len(found.notes)) <= 0.15 * len(found.notes)
    assert abs(sized.memory_chars - len(found.memory)) <= 0.15 * len(found.memory)
