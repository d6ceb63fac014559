"""Publishing a dev-log post: its public read shows that post and nothing else, and stops at once
when it is unpublished; the public table cannot be written for another tenant."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.report import PublishedPost, ReportKind
from nyx_app.services.errors import InvalidInput, NotAllowed, NotFound
from nyx_app.services.reports import publish, store
from nyx_app.services.reports.devlog import DevlogPost, compose
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM
from tests.runs_helpers import Workspace, workspace
from tests.services.reports.helpers import act, report_row
from tests.services.reports.test_writers import POST

pytestmark = pytest.mark.usefixtures("local_storage")


async def a_post(ws: Workspace, title: str = POST["title"], kind: ReportKind = ReportKind.DEVLOG) -> uuid.UUID:  # type: ignore[assignment]
    post = DevlogPost.model_validate({**POST, "title": title})
    report = await act(
        ws,
        lambda s, c: store.save_report(
            s, c, project_id=ws.project_id, kind=kind, title=title, body=compose(post), data={"post": post.model_dump()}
        ),
    )
    return report.id


async def test_a_published_post_reads_without_a_login_and_stops_at_once_when_unpublished(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await a_post(ws)

    published = await act(ws, lambda s, c: publish.publish(s, c, report_id))
    public_id = str(published.public_id)

    post = await publish.read_public_post(public_id)
    assert post is not None and post.title == POST["title"] and post.summary == POST["summary"]
    assert post.tags == POST["tags"] and "What was done" in post.html
    # Named for its readers: who wrote it, and about which project; the brief is a list, not JSON.
    assert post.project == "Onboarding" and post.author.startswith("User ")
    assert "<pre>" not in post.html.split("The session in brief", 1)[1]

    await act(ws, lambda s, c: publish.unpublish(s, c, report_id))
    assert await publish.read_public_post(public_id) is None
    row = await report_row(ws, report_id)
    assert not row.published and row.public_id is None

    again = await act(ws, lambda s, c: publish.publish(s, c, report_id))
    assert str(again.public_id) != public_id  # a new link: the old one stays dead
    assert await publish.read_public_post(public_id) is None
    assert await publish.read_public_post(str(again.public_id)) is not None


async def test_the_public_read_never_reaches_another_row(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    other = await workspace(tenants, fake_llm, images=0)
    published = await a_post(ws, "Published post")
    private = await a_post(ws, "Private post of the same tenant")
    elsewhere = await a_post(other, "Another tenant's published post")
    public_id = (await act(ws, lambda s, c: publish.publish(s, c, published))).public_id
    await act(other, lambda s, c: publish.publish(s, c, elsewhere))

    for guess in (str(private), str(published), str(uuid.uuid4()), "not-a-uuid", "", str(ws.project_id)):
        assert await publish.read_public_post(guess) is None
    post = await publish.read_public_post(str(public_id))
    assert post is not None and post.title == "Published post"


async def test_only_posts_are_published_and_only_by_owners_and_admins(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    member = await tenants.join(ws.account)
    overview = await a_post(ws, "An overview", kind=ReportKind.OVERVIEW)
    post = await a_post(ws)

    with pytest.raises(InvalidInput, match="Only dev-log posts"):
        await act(ws, lambda s, c: publish.publish(s, c, overview))
    async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
        with pytest.raises(NotAllowed, match="Only owners and admins can publish reports"):
            await publish.publish(s, member.ctx, post)
    outsider = await tenants.create()
    async with transaction(outsider.ctx.tenant_id, outsider.ctx.user_id) as s:
        with pytest.raises(NotFound):
            await publish.publish(s, outsider.ctx, post)


async def test_the_public_table_cannot_be_written_for_another_tenant(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    intruder = await tenants.create()
    report_id = await a_post(ws)
    public_id = (await act(ws, lambda s, c: publish.publish(s, c, report_id))).public_id

    # Map a made-up public id to A's report, as B, under A's tenant id or B's own.
    for tenant in (ws.ctx.tenant_id, intruder.ctx.tenant_id):
        with pytest.raises((DBAPIError, IntegrityError)):
            async with transaction(intruder.ctx.tenant_id, intruder.ctx.user_id) as s:
                s.add(PublishedPost(public_id=uuid.uuid4(), tenant_id=tenant, report_id=report_id))
    # B can read the public mapping (public anyway) but not remove it.
    async with transaction(intruder.ctx.tenant_id, intruder.ctx.user_id) as s:
        await s.execute(PublishedPost.__table__.delete())  # type: ignore[attr-defined]
    async with transaction() as s:
        assert [p.public_id for p in await s.exec(select(PublishedPost))] == [public_id]


async def test_deleting_a_published_post_takes_its_link_with_it(tenants: TenantFactory, fake_llm: FakeLLM) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    report_id = await a_post(ws)
    public_id = (await act(ws, lambda s, c: publish.publish(s, c, report_id))).public_id

    await act(ws, lambda s, c: store.delete_report(s, c, report_id))

    assert await publish.read_public_post(str(public_id)) is None
    async with transaction() as s:
        assert list(await s.exec(select(PublishedPost))) == []
