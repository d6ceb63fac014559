"""AI image descriptions: images saved without a description get one from a vision model in the
background (through the LLM call path), searchable; a description a person wrote — or started
writing, or typed while the model was looking — is never overwritten; no vision model, no calls."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text
from sqlmodel import col, select

from nyx_app.db.session import transaction
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.models.note_image import NoteImage
from nyx_app.services import image_descriptions, note_images, notes, projects
from nyx_app.services.knowledge.search import SearchRequest, search
from nyx_app.services.llm import credentials
from nyx_app.services.note_images import IncomingFile
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.images import image_bytes
from tests.fakes.llm_server import FakeLLM, answer, image_parts
from tests.runs_helpers import MODEL, Workspace, workspace
from tests.services.knowledge.helpers import embed_all

__all__ = ["_fake_llm_server", "fake_llm"]  # the fake provider's fixtures, for this module

DESCRIBED = "A login form with e-mail and password fields and a red error banner saying the account is locked."


async def _images(ws: Workspace) -> list[NoteImage]:
    async with transaction(ws.ctx.tenant_id) as s:
        return list(await s.exec(select(NoteImage).order_by(col(NoteImage.sort_order))))


async def _describe(ws: Workspace) -> image_descriptions.Outcome:
    return await image_descriptions.describe_pending(ws.ctx.tenant_id, ws.ctx.user_id)


async def test_images_saved_without_a_description_get_one_in_the_background_and_are_searchable(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.script(MODEL, then=answer(DESCRIBED))
    ws = await workspace(tenants, fake_llm, images=2)  # saving the drop queued the tenant's job
    async with transaction(ws.ctx.tenant_id) as s:
        queued = await s.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'nyx.images.describe'")
        )
        assert queued.scalar_one() == 1
    outcome = await _describe(ws)
    assert len(outcome.described) == 2 and not outcome.no_vision
    assert fake_llm.calls(MODEL) == 2 and all(image_parts(r) == 1 for r in fake_llm.requests)
    assert [(i.description, i.description_source) for i in await _images(ws)] == [(DESCRIBED, "ai")] * 2
    assert (await _describe(ws)).described == []  # nothing left: no call
    assert fake_llm.calls(MODEL) == 2
    await embed_all(ws.account)
    found = await search(ws.ctx, SearchRequest("locked account banner", kinds=[KnowledgeKind.IMAGE_DESCRIPTION]))
    assert len(found.hits) == 2 and found.hits[0].title.startswith("Image: Note 1")


async def test_a_description_a_person_wrote_is_never_overwritten_not_even_by_a_call_already_under_way(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=3)
    first, second, third = await _images(ws)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await note_images.update_description(s, ws.ctx, first.id, "Written by me before the job.")
        assert await note_images.claim_description(s, ws.ctx, second.id)  # the user clicked into its box
    fake_llm.script(MODEL, answer(DESCRIBED, latency=1.5), then=answer(DESCRIBED))
    job = asyncio.create_task(_describe(ws))
    while fake_llm.calls(MODEL) == 0:  # the model is looking at the third image now
        await asyncio.sleep(0.02)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await note_images.update_description(s, ws.ctx, third.id, "Typed while the model was looking.")
    outcome = await job
    assert outcome.kept == [third.id] and outcome.described == []
    assert fake_llm.calls(MODEL) == 1  # the first two were never sent
    assert [(i.description, i.description_source) for i in await _images(ws)] == [
        ("Written by me before the job.", "user"),
        ("", "user"),
        ("Typed while the model was looking.", "user"),
    ]


async def test_a_tenant_without_a_vision_model_makes_no_call_and_gets_no_error_per_image(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    acct = await tenants.create()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await credentials.save_endpoint(s, acct.ctx, "local", fake_llm.openai_base, "text-only-model")
        assert await image_descriptions.vision_model(s, acct.ctx, "local/text-only-model") is None
        project = await projects.create_project(s, acct.ctx, "Blind")
    ws = Workspace(acct, project.id)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        note = await notes.create_note(s, acct.ctx, project.id, "Screens", "")
    checked = await note_images.check_files([IncomingFile("a.png", image_bytes())])
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await note_images.save_images(s, acct.ctx, note.id, checked)
    outcome = await _describe(ws)
    assert outcome.no_vision and outcome.described == [] and outcome.failed == []
    assert fake_llm.calls() == 0
    assert [(i.description, i.description_attempts) for i in await _images(ws)] == [("", 0)]


async def test_another_tenants_image_cannot_be_claimed_or_described(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=1)
    other = await tenants.create()
    (image,) = await _images(ws)
    async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
        try:
            await note_images.claim_description(s, other.ctx, image.id)
        except Exception as refused:
            assert "not found" in str(refused).lower()
        else:
            raise AssertionError("claimed another tenant's image")
    outcome = await image_descriptions.describe_pending(other.ctx.tenant_id, other.ctx.user_id)
    assert outcome.described == [] and fake_llm.calls() == 0
    assert uuid.UUID(str(image.id))
