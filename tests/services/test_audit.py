"""The audit log: every listed action leaves a row saying who, when, from where, what and which;
rows can be filtered and exported; the app role can never change or remove one; the purge keeps
what retention says (and never less than 30 days)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from nyx_app.db.base import utcnow
from nyx_app.db.engine import owner_engine
from nyx_app.db.session import transaction
from nyx_app.models.audit import AuditEvent
from nyx_app.models.report import ReportKind
from nyx_app.models.tenancy import Role
from nyx_app.services import account, api_tokens, auth, invitations, members, notes, projects
from nyx_app.services.audit import AuditAction, Origin, Via, use_origin
from nyx_app.services.audit import log as audit_log
from nyx_app.services.errors import AuthError, NotAllowed
from nyx_app.services.llm import credentials, preferences
from nyx_app.services.reports import publish
from nyx_app.services.reports.store import delete_report, save_report
from nyx_app.services.webhooks import store as webhooks
from nyx_app.services.workflows import store as workflows
from nyx_app.settings import get_settings
from tests.factories import PASSWORD, Account, TenantFactory

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
WHERE = Origin("203.0.113.5", FIREFOX, Via.WEB)


async def rows(acct: Account) -> list[AuditEvent]:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return list(await s.exec(select(AuditEvent).order_by(col(AuditEvent.created_at), col(AuditEvent.id))))


async def test_every_listed_action_leaves_a_row_with_who_where_what_and_which(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    teammate = await tenants.join(owner, Role.MEMBER)
    ctx = owner.ctx
    before = {r.id for r in await rows(owner)}  # the set-up's own rows (the teammate joining)
    with use_origin(WHERE):
        await auth.login(owner.email, PASSWORD, address=WHERE.address, user_agent=FIREFOX)
        with pytest.raises(AuthError):
            await auth.login(owner.email, "wrong password entirely", address=WHERE.address)
        other_login = await auth.login(owner.email, PASSWORD, address=WHERE.address)
        await auth.logout(other_login)
        await auth.change_password(owner.token, PASSWORD, PASSWORD + " and more")
        await account.update_profile(owner.token, "Owner", "renamed@example.test")
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            invite = await invitations.create_invitation(s, ctx, "member")
            await invitations.revoke(s, ctx, invite.invitation.id)
            await members.change_role(s, ctx, teammate.ctx.user_id, "admin")
            await members.remove_member(s, ctx, teammate.ctx.user_id)
            cred = await credentials.save_key(s, ctx, "openai", "sk-test-1234567890")
            await credentials.remove_provider(s, ctx, cred.id)
            await preferences.set_budget(s, ctx, "25")
            project = await projects.create_project(s, ctx, "Launch")
            await projects.update_project(s, ctx, project.id, published=True)
            note = await notes.create_note(s, ctx, project.id, "Plan", "text")
            await notes.set_public(s, ctx, note.id, True)
            await notes.set_public(s, ctx, note.id, False)
            await projects.update_project(s, ctx, project.id, published=False)
            post = await save_report(s, ctx, project_id=project.id, kind=ReportKind.DEVLOG, title="Post", body="# P")
            await publish.publish(s, ctx, post.id)
            await publish.unpublish(s, ctx, post.id)
            await delete_report(s, ctx, post.id)
            wf = await workflows.create_workflow(s, ctx, project.id)
            await workflows.delete_workflow(s, ctx, wf.id)
            token = await api_tokens.create_token(s, ctx, name="CI", scopes=["read"])
            await api_tokens.revoke_token(s, ctx, token.view.id)
            hook = await webhooks.create_webhook(s, ctx, name="H", url="https://93.184.216.34/h", events=["run.failed"])
            await webhooks.update_webhook(s, ctx, hook.view.id, active=False)
            await webhooks.delete_webhook(s, ctx, hook.view.id)
            await audit_log.export(s, ctx, audit_log.AuditFilter(), audit_log.ExportFormat.CSV)
            await projects.delete_project(s, ctx, project.id)
    found = [r for r in await rows(owner) if r.id not in before]
    actions = {r.action for r in found}
    expected = {a.value for a in AuditAction} - {
        AuditAction.API_WRITE.value,
        AuditAction.MEMBER_LEFT.value,
        AuditAction.INVITATION_ACCEPTED.value,
        AuditAction.MEMBER_ADDED.value,
    }
    assert expected - actions == set()
    mine = [r for r in found if r.action == AuditAction.PROJECT_DELETED.value]
    assert mine[0].actor_id == ctx.user_id and mine[0].object_label == "Launch" and mine[0].object_type == "project"
    assert {(r.address, r.device, r.via) for r in found} == {("203.0.113.5", "Firefox 128 on Linux", "web")}
    failed = next(r for r in found if r.action == AuditAction.SIGN_IN_FAILED.value)
    assert failed.actor_id is None and owner.email in failed.object_label  # nobody signed in; the account tried
    role = next(r for r in found if r.action == AuditAction.ROLE_CHANGED.value)
    assert role.details == {"from": "member", "to": "admin"} and teammate.email in role.object_label


async def test_account_events_reach_every_workspace_of_the_person(tenants: TenantFactory) -> None:
    first = await tenants.create()
    second = await tenants.create()
    async with transaction(second.ctx.tenant_id, second.ctx.user_id) as s:
        inv = await invitations.create_invitation(s, second.ctx, "member")
    await invitations.accept(inv.token, first.ctx.user_id)
    await auth.login(first.email, PASSWORD, address="192.0.2.20")
    for acct in (first, second):
        assert [r.action for r in await rows(acct)].count(AuditAction.SIGN_IN.value) >= 1
    assert AuditAction.INVITATION_ACCEPTED.value in {r.action for r in await rows(second)}


async def test_the_app_role_can_add_and_read_rows_but_never_change_or_remove_them(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    await auth.login(acct.email, PASSWORD, address="192.0.2.1")
    for statement in ("UPDATE audit_event SET action = 'nothing'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
                await s.execute(text(statement))
    assert await rows(acct)  # still there
    with owner_engine().connect() as conn:
        grants = set(
            conn.scalars(
                text(
                    "SELECT privilege_type FROM information_schema.role_table_grants "
                    "WHERE table_name = 'audit_event' AND grantee = :r"
                ),
                {"r": get_settings().app_role},
            )
        )
    assert grants == {"INSERT", "SELECT"}


async def _aged(acct: Account, days: int) -> None:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        s.add(
            AuditEvent(tenant_id=acct.ctx.tenant_id, action="auth.sign_in", created_at=utcnow() - timedelta(days=days))
        )


async def test_the_purge_keeps_the_retention_and_never_less_than_30_days(
    tenants: TenantFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await tenants.create(), await tenants.create()
    for days in (400, 40, 10):
        await _aged(a, days)
        await _aged(b, days)
    async with transaction() as s:  # no tenant: the job's transaction
        assert await audit_log.purge(s) == 2  # 365 days by default: the 400-day rows of both tenants
    async with transaction() as s:
        removed = (await s.execute(text("SELECT nyx_purge_audit_events(1)"))).scalar_one()
    assert removed == 2  # asked for 1 day, kept 30: only the 40-day rows went
    ages = sorted(round((utcnow() - r.created_at).days) for r in await rows(a) if r.action == "auth.sign_in")
    assert [d for d in ages if d > 5] == [10]


async def test_filters_and_exports(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    admin = await tenants.join(owner, Role.ADMIN)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        await projects.create_project(s, owner.ctx, '=HYPERLINK("http://evil")')
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        project = (await projects.list_projects(s, owner.ctx))[0]
        await projects.update_project(s, owner.ctx, project.id, published=True)
    async with transaction(admin.ctx.tenant_id, admin.ctx.user_id) as s:
        await projects.delete_project(s, admin.ctx, project.id)
    async with transaction(owner.ctx.tenant_id, owner.ctx.user_id) as s:
        by_admin = await audit_log.list_events(s, owner.ctx, audit_log.parse_filter(actor_id=str(admin.ctx.user_id)))
        published = await audit_log.list_events(s, owner.ctx, audit_log.parse_filter(action="project.published"))
        today = utcnow().date().isoformat()
        dated = await audit_log.list_events(s, owner.ctx, audit_log.parse_filter(since=today, until=today))
        tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
        future = await audit_log.list_events(s, owner.ctx, audit_log.parse_filter(since=tomorrow))
        csv_text, n = await audit_log.export(s, owner.ctx, audit_log.AuditFilter(), audit_log.ExportFormat.CSV)
        json_text, _ = await audit_log.export(s, owner.ctx, audit_log.AuditFilter(), audit_log.ExportFormat.JSON)
        people = await audit_log.actors(s, owner.ctx)
    assert [e.action for e in by_admin.items] == ["project.deleted", "auth.sign_in"]  # newest first
    assert [e.action for e in published.items] == ["project.published"]
    assert len(dated.items) >= 3 and future.items == []
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(table) == n and {"project.deleted", "project.published"} <= {r["action"] for r in table}
    assert all(not r["object"].startswith("=") for r in table)  # no formula reaches a spreadsheet
    assert {e["action"] for e in json.loads(json_text)} >= {"project.deleted"}
    assert {a for a, _ in people} == {owner.ctx.user_id, admin.ctx.user_id}
    member = await tenants.join(owner, Role.MEMBER)
    with pytest.raises(NotAllowed):
        async with transaction(member.ctx.tenant_id, member.ctx.user_id) as s:
            await audit_log.list_events(s, member.ctx)
