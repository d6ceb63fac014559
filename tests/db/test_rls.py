"""Row-level security binds, through the app role, on every tenant table.

Rows of tenant A are made through the services (the way the app makes them); tenant B then tries
to read, change, delete and forge them. The list of tenant tables comes from the database itself,
so a new table without RLS, or without a row to try here, fails this file.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import nyx_app.models  # noqa: F401  (every table on the metadata)
from nyx_app.db.base import utcnow
from nyx_app.db.engine import owner_engine
from nyx_app.db.session import public_transaction, transaction
from nyx_app.db.urls import app_url
from nyx_app.models.code import CodePattern, CodeSource, SourceFile
from nyx_app.models.discussion import Discussion, DiscussionMessage, MessageKind
from nyx_app.models.knowledge import KnowledgeEmbedding
from nyx_app.models.library import ConsolidationPattern, NoteEnrichment, PolicyDocument, PolicyPassage
from nyx_app.models.llm import LlmCall, LlmProviderSlot, LlmReservation
from nyx_app.models.note_image import NoteImage
from nyx_app.models.notification import NotificationKind
from nyx_app.models.report import PublishedPost, Report, ReportKind
from nyx_app.models.run import Run, StepRun
from nyx_app.models.webhook import WebhookDelivery
from nyx_app.models.workflow import WorkflowInsight
from nyx_app.services import (
    api_limits,
    api_tokens,
    invitations,
    memory,
    note_drafts,
    notes,
    notifications,
    projects,
    trash,
)
from nyx_app.services.knowledge import embedding_model
from nyx_app.services.llm import credentials, preferences
from nyx_app.services.personas.store import PersonaInput, create_persona
from nyx_app.services.webhooks import store as webhook_store
from nyx_app.services.workflows import store
from tests.factories import Account, TenantFactory

# auth_session.tenant_id is the tenant a login is working in, not ownership; only auth touches it.
# published_post maps public ids of published posts to (tenant, report) and is read without a
# tenant by design; its own policies are tried in test_published_post_is_public_but_never_writable…
NOT_TENANT_SCOPED = ("auth_session", "published_post")
# The app role may only add and read these (grants): tenant B's UPDATE or DELETE is refused outright.
APPEND_ONLY = ("audit_event",)


def tenant_tables() -> list[str]:
    """From the models, so tests can be parametrised before the database exists."""
    tables = SQLModel.metadata.sorted_tables
    return sorted(t.name for t in tables if "tenant_id" in t.c and t.name not in NOT_TENANT_SCOPED)


def tenant_tables_in_database() -> list[str]:
    with owner_engine().connect() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT table_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND column_name = 'tenant_id' "
                    "AND table_name <> ALL(:skip) ORDER BY table_name"
                ),
                {"skip": list(NOT_TENANT_SCOPED)},
            )
        )


def insertable_columns(table: str) -> list[str]:
    """Every column but the generated ones (PostgreSQL computes those itself)."""
    with owner_engine().connect() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = :t AND is_generated = 'NEVER' ORDER BY ordinal_position"
                ),
                {"t": table},
            )
        )


async def seed_every_tenant_table(a: Account) -> None:
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = await projects.create_project(s, a.ctx, "Secret project")
        note = await notes.create_note(s, a.ctx, project.id, "Secret note", "classified")
        await note_drafts.save_draft(s, a.ctx, note.id, title="Secret note", content="unsaved", base_version=1)
        entry = await memory.create_entry(
            s, a.ctx, title="Secret memory", content="classified", project_id=str(project.id)
        )
        s.add(
            NoteImage(
                tenant_id=a.ctx.tenant_id,
                note_id=note.id,
                memory_id=entry.id,
                image_key=f"{uuid.uuid4()}.png",
                thumb_key="t.png",
                content_type="image/png",
                width=1,
                height=1,
                bytes=1,
                sha256="0" * 64,
            )
        )
        await invitations.create_invitation(s, a.ctx, "member")
        binned = await notes.create_note(s, a.ctx, project.id, "Secret deleted note", "classified")
        await trash.trash_note(s, a.ctx, binned.id)
        await credentials.save_key(s, a.ctx, "openai", "sk-secret-of-tenant-a")
        wf = await store.create_workflow(s, a.ctx, project.id, template="image-to-implementation")
        run = Run(tenant_id=a.ctx.tenant_id, project_id=project.id, workflow_id=wf.id, title="Secret run")
        s.add(run)
        await s.flush()
        s.add(StepRun(tenant_id=a.ctx.tenant_id, run_id=run.id, key="enrich", output="classified"))
        s.add(
            WorkflowInsight(
                tenant_id=a.ctx.tenant_id, project_id=project.id, run_id=run.id, step_key="review", text="x"
            )
        )
        s.add(
            NoteEnrichment(
                tenant_id=a.ctx.tenant_id, note_id=note.id, run_id=run.id, base_version=1, proposal="classified"
            )
        )
        s.add(
            ConsolidationPattern(
                tenant_id=a.ctx.tenant_id, project_id=project.id, title="Secret pattern", text="classified"
            )
        )
        policy = PolicyDocument(
            tenant_id=a.ctx.tenant_id, title="Secret policy", framework="internal", filename="p.md",
            content_type="text/markdown", file_key=f"{a.ctx.tenant_id}/policies/x.md", bytes=1, sha256="0" * 64,
        )  # fmt: skip
        s.add(policy)
        await s.flush()
        s.add(PolicyPassage(tenant_id=a.ctx.tenant_id, document_id=policy.id, seq=1, text="classified"))
        source = CodeSource(tenant_id=a.ctx.tenant_id, project_id=project.id, url="https://example.com/secret.git")
        s.add(source)
        await s.flush()
        s.add(SourceFile(tenant_id=a.ctx.tenant_id, source_id=source.id, path="secret.py", lines=1))
        s.add(CodePattern(tenant_id=a.ctx.tenant_id, project_id=project.id, run_id=run.id, category="risk",
                          title="Secret pattern", text="classified"))  # fmt: skip
        persona = await create_persona(s, a.ctx, PersonaInput("Secret expert", description="classified security"))
        discussion = Discussion(
            tenant_id=a.ctx.tenant_id,
            project_id=project.id,
            title="Secret discussion",
            model="anthropic/claude-sonnet-4-6",
            persona_ids=[str(persona.id)],
        )
        s.add(discussion)
        await s.flush()
        s.add(
            DiscussionMessage(
                tenant_id=a.ctx.tenant_id,
                discussion_id=discussion.id,
                seq=1,
                kind=MessageKind.ANSWER.value,
                run_id=run.id,
                step_key="enrich",
                persona_id=persona.id,
                persona_name=persona.name,
            )
        )
        await preferences.set_budget(s, a.ctx, "25")
        await notifications.tell(
            s, a.ctx.tenant_id, a.ctx.user_id, NotificationKind.RUN_FINISHED, "Secret run finished", project.id, run.id
        )
        await notifications.save_settings(s, a.ctx, ["report_ready"], browser=False)
        report = Report(
            tenant_id=a.ctx.tenant_id,
            project_id=project.id,
            kind=ReportKind.DEVLOG.value,
            title="Secret post",
            markdown="classified",
            published=True,
            public_id=uuid.uuid4(),
        )
        s.add(report)
        await s.flush()
        s.add(PublishedPost(public_id=report.public_id, tenant_id=a.ctx.tenant_id, report_id=report.id))
        token = await api_tokens.create_token(s, a.ctx, name="Secret token", scopes=["read"])
        caller = await api_tokens.authenticate_in(s, token.token, "192.0.2.1")
        assert caller is not None
        await api_limits.count_call(s, a.ctx.tenant_id)
        await api_limits.claim_key(s, a.ctx.tenant_id, caller.token_id, "key-1", "0" * 64)
        hook = await webhook_store.create_webhook(
            s, a.ctx, name="Secret hook", url="https://93.184.216.34/h", events=["run.failed"]
        )
        s.add(
            WebhookDelivery(
                tenant_id=a.ctx.tenant_id,
                webhook_id=hook.view.id,
                event="run.failed",
                event_id=uuid.uuid4(),
                created_at=utcnow(),
            )
        )
        s.add(
            LlmCall(
                tenant_id=a.ctx.tenant_id,
                call_id=uuid.uuid4(),
                attempt_no=1,
                provider="openai",
                model="o3",
                status="ok",
                cost_usd=Decimal("0.25"),  # a paid attempt: its cost reaches llm_spend_month too
            )
        )
        # knowledge_item rows came from the triggers above; a vector and the model setting here.
        await embedding_model.switch(s, a.ctx, embedding_model.DEFAULT_MODEL)
        s.add(
            KnowledgeEmbedding(
                tenant_id=a.ctx.tenant_id, kind="note", item_id=note.id, model=embedding_model.DEFAULT_MODEL,
                dims=3, embedding=[0.1, 0.2, 0.3], content_hash="x",
            )
        )  # fmt: skip
        s.add(
            LlmReservation(
                tenant_id=a.ctx.tenant_id,
                call_id=uuid.uuid4(),
                amount_usd=Decimal("0.05"),
                expires_at=utcnow() + timedelta(minutes=5),
            )
        )
        s.add(
            LlmProviderSlot(tenant_id=a.ctx.tenant_id, provider="anthropic", expires_at=utcnow() + timedelta(minutes=1))
        )


@pytest.fixture
async def two_tenants(tenants: TenantFactory) -> tuple[Account, Account]:
    a, b = await tenants.create("A"), await tenants.create("B")
    await seed_every_tenant_table(a)
    return a, b


def test_the_models_know_every_tenant_table_of_the_database(database: None) -> None:
    assert tenant_tables_in_database() == tenant_tables()


def test_every_tenant_table_has_rls_enabled_and_forced(database: None) -> None:
    with owner_engine().connect() as conn:
        rows = conn.execute(
            text("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(:t)"),
            {"t": tenant_tables()},
        ).all()
    assert rows, "no tenant tables found"
    assert [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity)] == []


def test_app_role_is_bound_by_rls(database: None) -> None:
    engine = owner_engine()
    with engine.connect() as conn:
        role = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": "nyx_app"}
        ).one()
        owners = set(conn.scalars(text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")))
    assert not role.rolsuper and not role.rolbypassrls
    assert "nyx_app" not in owners


@pytest.mark.parametrize("table", tenant_tables())
async def test_tenant_b_cannot_read_change_delete_or_forge_tenant_a_rows(
    two_tenants: tuple[Account, Account], table: str
) -> None:
    a, b = two_tenants
    with owner_engine().connect() as conn:
        # FORCE applies RLS to the table owner too: even set-up reads as tenant A (and as A's user:
        # drafts are visible to their writer only).
        conn.execute(
            text("SELECT set_config('app.tenant_id', :a, true), set_config('app.user_id', :u, true)"),
            {"a": str(a.ctx.tenant_id), "u": str(a.ctx.user_id)},
        )
        a_rows = conn.execute(
            text(f"SELECT row_to_json(t) FROM {table} t WHERE tenant_id = :a"), {"a": a.ctx.tenant_id}
        )
        sample = next(iter(a_rows.scalars()), None)
    assert sample is not None, f"seed_every_tenant_table() makes no {table} row: add one so RLS is tried on it"

    async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
        seen = await s.execute(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a"), {"a": a.ctx.tenant_id})
        assert seen.scalar_one() == 0
    if table in APPEND_ONLY:  # not even tenant A may change or remove them: test_audit_log_is_append_only
        for statement in (f"UPDATE {table} SET tenant_id = tenant_id", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
                    await s.execute(text(statement))
    else:
        async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
            updated = await s.execute(
                text(f"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = :a"), {"a": a.ctx.tenant_id}
            )
            assert updated.rowcount == 0
            deleted = await s.execute(text(f"DELETE FROM {table} WHERE tenant_id = :a"), {"a": a.ctx.tenant_id})
            assert deleted.rowcount == 0

    forged = dict(sample, id=str(uuid.uuid4()))
    columns = ", ".join(insertable_columns(table))
    with pytest.raises(DBAPIError, match="row-level security"):
        async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
            await s.execute(
                text(
                    f"INSERT INTO {table} ({columns}) "
                    f"SELECT {columns} FROM json_populate_record(null::{table}, CAST(:row AS json))"
                ),
                {"row": json.dumps(forged)},
            )

    with owner_engine().connect() as conn:  # and A's rows are all still there
        conn.execute(
            text("SELECT set_config('app.tenant_id', :a, true), set_config('app.user_id', :u, true)"),
            {"a": str(a.ctx.tenant_id), "u": str(a.ctx.user_id)},
        )
        assert conn.scalar(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a"), {"a": a.ctx.tenant_id}) >= 1


async def test_no_tenant_set_means_no_rows(two_tenants: tuple[Account, Account]) -> None:
    async with transaction() as s:
        for table in tenant_tables():
            if table == "membership":
                continue  # also visible to its own user; no user is set here either
            assert (await s.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0
        assert (await s.execute(text("SELECT count(*) FROM membership"))).scalar_one() == 0


async def test_a_pooled_connection_reused_after_a_transaction_has_no_tenant(
    two_tenants: tuple[Account, Account],
) -> None:
    a, _ = two_tenants
    engine = create_async_engine(app_url(), pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a.ctx.tenant_id)})
            first_pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert (await conn.execute(text("SELECT count(*) FROM project"))).scalar_one() == 1
        async with engine.begin() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() == first_pid  # same connection
            assert (await conn.execute(text("SELECT current_setting('app.tenant_id', true)"))).scalar_one() in (
                "",
                None,
            )
            assert (await conn.execute(text("SELECT count(*) FROM project"))).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_the_public_read_path_sees_only_a_published_projects_public_notes_and_their_images(
    two_tenants: tuple[Account, Account],
) -> None:
    """Whatever SQL runs in a public transaction, every tenant table shows at most the published
    project, its public notes and their images (the public_read policies); nothing is writable."""
    a, _ = two_tenants
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        project = (await projects.list_projects(s, a.ctx))[0]
        note = (await notes.list_notes(s, a.ctx, project.id))[0]
        await notes.create_note(s, a.ctx, project.id, "Private note", "stays inside")

    async def visible() -> dict[str, int]:
        async with public_transaction(project.id) as s:
            return {t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tenant_tables()}

    nothing = dict.fromkeys(tenant_tables(), 0)
    assert await visible() == nothing  # not published yet
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await projects.update_project(s, a.ctx, project.id, published=True)
    assert await visible() == {**nothing, "project": 1}  # no note is public yet
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await notes.set_public(s, a.ctx, note.id, True)
    assert await visible() == {**nothing, "project": 1, "project_note": 1, "note_image": 1}

    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with public_transaction(project.id) as s:
            await s.execute(text("UPDATE project SET name = 'defaced'"))
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        await projects.update_project(s, a.ctx, project.id, published=False)
    assert await visible() == nothing  # unpublished: gone at once


async def test_published_post_is_public_but_never_writable_by_another_tenant(
    two_tenants: tuple[Account, Account],
) -> None:
    a, b = two_tenants
    async with transaction() as s:  # no tenant at all: the public page's first read
        [(public_id, report_id)] = (await s.execute(text("SELECT public_id, report_id FROM published_post"))).all()
    async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
        assert (await s.execute(text("DELETE FROM published_post"))).rowcount == 0
        assert (await s.execute(text("UPDATE published_post SET public_id = gen_random_uuid()"))).rowcount == 0
    for tenant in (a.ctx.tenant_id, b.ctx.tenant_id):
        with pytest.raises(DBAPIError):  # another tenant's row, or a row naming another tenant's report
            async with transaction(b.ctx.tenant_id, b.ctx.user_id) as s:
                await s.execute(
                    text("INSERT INTO published_post VALUES (gen_random_uuid(), :t, :r)"),
                    {"t": tenant, "r": report_id},
                )
    async with transaction() as s:
        assert (await s.execute(text("SELECT public_id FROM published_post"))).scalars().all() == [public_id]
