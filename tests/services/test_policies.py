"""The policy library: a PDF (or Markdown) split into passages that keep their headings, stored
with its file (S3 over HTTP), searchable and cited by {{policies}}; bad, scanned and hostile files
refused in words with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.integrations.storage import S3Storage
from nyx_app.models.knowledge import KnowledgeKind
from nyx_app.services import notes, policies
from nyx_app.services.errors import InvalidInput, NotAllowed
from nyx_app.services.knowledge.search import SearchRequest, search
from nyx_app.services.runs import views
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM, respond
from tests.fakes.pdfs import nesting_bomb, page_bomb, scanned_pdf, text_pdf
from tests.runs_helpers import MODEL, run_to_end, start, steps, workflow, workspace
from tests.services.knowledge.helpers import embed_all

__all__ = ["_fake_llm_server", "fake_llm"]

ACCESS_POLICY = [
    [
        "Access Control Policy",
        "1 Scope",
        "This policy applies to every employee and contractor with an account.",
        "2 Passwords",
        "2.1 Length",
        "Passwords are at least 14 characters long and never reused across systems.",
    ],
    [
        "2.2 Lockout",
        "After five failed attempts the account is locked for fifteen minutes per device.",
        "3 Reviews",
        "Access rights are reviewed every quarter by the system owner.",
    ],
]


async def _upload(a, name: str, data: bytes, framework: str = "iso27001"):  # type: ignore[no-untyped-def]
    upload = await policies.read_upload(name, data, framework)
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await policies.save(s, a.ctx, upload)


async def _rows(a) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with transaction(a.ctx.tenant_id) as s:
        docs = (await s.execute(text("SELECT count(*) FROM policy_document"))).scalar_one()
        passages = (await s.execute(text("SELECT count(*) FROM policy_passage"))).scalar_one()
    return int(docs), int(passages)


async def test_a_policy_pdf_is_split_into_passages_with_their_headings_and_stored_with_its_file(
    tenants: TenantFactory, s3_storage: S3Storage
) -> None:
    a = await tenants.create()
    document = await _upload(a, "access-control.pdf", text_pdf(ACCESS_POLICY))
    assert (document.title, document.pages, document.framework) == ("access control", 2, "iso27001")
    assert s3_storage.get(document.file_key)[:5] == b"%PDF-"
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        found = await policies.passages(s, a.ctx, document.id)
    assert [(p.heading, p.page) for p in found] == [
        ("", 1),
        ("1 Scope", 1),
        ("2 Passwords > 2.1 Length", 1),
        ("2 Passwords > 2.2 Lockout", 2),
        ("3 Reviews", 2),
    ]
    assert found[3].text == "After five failed attempts the account is locked for fifteen minutes per device."
    await embed_all(a)
    hits = (
        await search(a.ctx, SearchRequest("how long is an account locked", kinds=[KnowledgeKind.POLICY_PASSAGE]))
    ).hits
    assert hits[0].title == "access control > 2 Passwords > 2.2 Lockout"
    assert hits[0].parent_id == document.id


async def test_markdown_headings_make_the_path_and_deleting_removes_passages_search_and_file(
    tenants: TenantFactory, s3_storage: S3Storage
) -> None:
    a = await tenants.create()
    markdown = (
        b"# Data protection\n\nIntro.\n\n## Art. 32 Security\n\nEncrypt personal data at rest.\n\n"
        b"```\n# not a heading\n```\n"
    )
    document = await _upload(a, "dsgvo.md", markdown, "gdpr")
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        found = await policies.passages(s, a.ctx, document.id)
    assert [p.heading for p in found] == ["Data protection", "Data protection > Art. 32 Security"]
    assert "# not a heading" in found[1].text
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await policies.delete(s, a.ctx, document.id)
    assert await _rows(a) == (0, 0)
    async with transaction(a.ctx.tenant_id) as s:
        items = await s.execute(text("SELECT count(*) FROM knowledge_item WHERE kind = 'policy_passage'"))
        assert items.scalar_one() == 0
    assert list(s3_storage.list_objects()) == []


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("broken.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 40, "not a readable PDF"),
        ("scan.pdf", scanned_pdf(), "no text to read (a scanned image?)"),
        ("bomb.pdf", page_bomb(), "has 1,000,000 pages; at most 500 are read"),
        ("nested.pdf", nesting_bomb(), "nested too deeply"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
        ("empty.md", b"", "is empty"),
    ],
)
async def test_bad_scanned_and_hostile_files_are_refused_in_words_and_nothing_is_written(
    tenants: TenantFactory, s3_storage: S3Storage, name: str, data: bytes, says: str
) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidInput) as refused:
        await _upload(a, name, data)
    assert says in refused.value.message and refused.value.message.startswith(name)
    assert await _rows(a) == (0, 0)
    assert list(s3_storage.list_objects()) == []


async def test_a_50_mb_text_file_is_refused_before_it_is_read(tenants: TenantFactory) -> None:
    with pytest.raises(InvalidInput, match=r"big.txt is 50.0 MB; policy documents may be at most 10 MB"):
        await policies.read_upload("big.txt", b"policy text\n" * (50 * 1024 * 1024 // 12), "internal")


async def test_an_unknown_framework_and_another_tenants_document_are_refused(tenants: TenantFactory) -> None:
    a, b = await tenants.create(), await tenants.create()
    with pytest.raises(InvalidInput, match="Choose the framework"):
        await policies.read_upload("p.md", b"# P\n\ntext", "sox")
    document = await _upload(a, "p.md", b"# P\n\nSome policy text here.")
    async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
        with pytest.raises(Exception, match="not found"):
            await policies.delete(s, b.ctx, document.id)
    member = await tenants.join(a)
    async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
        with pytest.raises(NotAllowed):
            await policies.delete(s, member.ctx, document.id)


async def test_policies_in_a_workflow_cite_passage_and_document(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await notes.create_note(
            s, ws.ctx, ws.project_id, "Account lockout", "How long is an account locked after failed password attempts?"
        )
    await _upload(ws.account, "access-control.pdf", text_pdf(ACCESS_POLICY))
    await embed_all(ws.account)
    wf = await workflow(
        ws,
        definition=steps(
            {"key": "c", "name": "Check", "prompt": "Check the login notes against policy.\n{{policies}}"}
        ),
    )
    fake_llm.script(MODEL, then=respond(lambda prompt: "Cites " + prompt.split("[P1] ", 1)[1].split("\n", 1)[0]))
    run = await run_to_end(ws, await start(ws, wf))
    assert run.status == "succeeded"
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        view = await views.run_view(s, ws.ctx, run.id)
    cited = view.retrieved[0]
    assert (cited.source, cited.ref, cited.kind) == ("policies", "P1", "policy_passage")
    assert cited.title.startswith("access control > ")
    assert view.steps[0].preview.startswith("Cites Policy passage: access control > ")
