"""Every uploader judges a file by decoding it, never by its name, and answers each file in words:
the same corpus through a note's drop (the streaming intake the page uses) and a persona's
portrait gets the same answers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from nyx_app.db.session import transaction
from nyx_app.integrations.storage import LocalStorage
from nyx_app.services import image_intake, note_images, notes, projects
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.personas import portraits, store
from nyx_app.services.personas.store import PersonaInput
from tests.factories import Account, TenantFactory
from tests.fakes.images import UploadCase, upload_corpus

CORPUS = upload_corpus()


async def _note(acct: Account) -> uuid.UUID:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        project = await projects.create_project(s, acct.ctx, "Uploads")
        return (await notes.create_note(s, acct.ctx, project.id, "Corpus")).id


async def _files(cases: list[UploadCase]) -> AsyncIterator[IncomingFile]:
    for case in cases:
        yield IncomingFile(case.name, case.data)


async def through_a_note(acct: Account) -> dict[str, tuple[str, str]]:
    """(shown name, error) per case, as the note page's drop gets them."""
    note_id = await _note(acct)
    answers = {}
    async for result in image_intake.intake(acct.ctx, str(note_id), _files(CORPUS)):
        answers[CORPUS[result.index].id] = (result.name, result.error)
    return answers


async def through_a_portrait(acct: Account) -> dict[str, tuple[str, str]]:
    """(shown name, error) per case, as the personas page's upload gets them; taken files become
    the portrait."""
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        persona = await store.create_persona(s, acct.ctx, PersonaInput("Ada", "Architect"))
    answers = {}
    for case in CORPUS:
        checked = await portraits.check_portrait_file(case.name, case.data)
        if checked.image is not None:
            image = checked.image
            async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
                saved = await portraits.set_portrait(s, acct.ctx, persona.id, image)
            assert saved.portrait_key.endswith(".png")  # stored under a generated key, as what it is
        answers[case.id] = (checked.name, checked.error)
    return answers


@pytest.fixture
async def answers(tenants: TenantFactory, local_storage: LocalStorage) -> dict[str, dict[str, tuple[str, str]]]:
    acct = await tenants.create()
    return {"note": await through_a_note(acct), "portrait": await through_a_portrait(acct)}


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
async def test_each_file_gets_its_answer_by_content_with_its_name_cleaned(
    answers: dict[str, dict[str, tuple[str, str]]], case: UploadCase
) -> None:
    for uploader in ("note", "portrait"):
        shown, error = answers[uploader][case.id]
        assert shown == case.shown, uploader
        if case.refusal:
            assert case.refusal in error, (uploader, error)
            assert error.endswith("Upload a PNG, JPEG, WebP or GIF file."), error
        else:
            assert error == "", (uploader, error)


async def test_both_uploaders_answer_the_whole_corpus_alike(
    answers: dict[str, dict[str, tuple[str, str]]],
) -> None:
    assert answers["note"] == answers["portrait"]
    assert len(answers["note"]) == len(CORPUS)


async def test_a_note_keeps_the_taken_files_only(tenants: TenantFactory, local_storage: LocalStorage) -> None:
    acct = await tenants.create()
    note_id = await _note(acct)
    async for _ in image_intake.intake(acct.ctx, str(note_id), _files(CORPUS)):
        pass
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        kept = await note_images.list_images(s, acct.ctx, note_id)
    assert len(kept) == sum(1 for c in CORPUS if not c.refusal)
    assert all(i.content_type == "image/png" for i in kept)  # every taken file was a PNG, whatever its name
