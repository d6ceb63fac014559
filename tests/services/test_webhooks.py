"""Webhooks: URLs inside the network refused, deliveries made by the database when runs finish and
reports are saved, signed as documented, retried with back-off, logged, given up on."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from nyx_app.db.session import transaction
from nyx_app.models.report import ReportKind
from nyx_app.models.run import Run
from nyx_app.models.webhook import DeliveryStatus, WebhookDelivery
from nyx_app.services import projects
from nyx_app.services.errors import InvalidFields
from nyx_app.services.reports.store import save_report
from nyx_app.services.webhooks import store
from nyx_app.services.webhooks.deliver import DeliveryRetry, deliver
from nyx_app.settings import Settings, get_settings
from tests.factories import Account, TenantFactory
from tests.fakes.dns import FakeDNS, fake_dns
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM
from tests.jobs.workers import worker_process
from tests.runs_helpers import run_to_end, start, steps, workflow, workspace
from tests.services.webhook_receiver import Receiver, running

__all__ = ["_fake_llm_server", "fake_dns", "fake_llm"]
EVENTS = ["run.succeeded", "run.failed", "review.waiting", "report.ready"]


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    def apply(**values: object) -> Settings:
        for name, value in values.items():
            monkeypatch.setenv(f"NYX_{name.upper()}", str(value))
        get_settings.cache_clear()
        return get_settings()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


async def hook(acct: Account, url: str, events: list[str] = EVENTS) -> store.NewWebhook:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return await store.create_webhook(s, acct.ctx, name="CI", url=url, events=events)


async def deliveries(acct: Account) -> list[WebhookDelivery]:
    async with transaction(acct.ctx.tenant_id) as s:
        return list(await s.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.created_at))))


async def fail_a_run(acct: Account) -> uuid.UUID:
    """A run that fails, written as any writer of run.status would (the trigger does the rest)."""
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        project = await projects.create_project(s, acct.ctx, f"P {uuid.uuid4().hex[:6]}")
        run = Run(tenant_id=acct.ctx.tenant_id, project_id=project.id, title="Nightly", status="running")
        s.add(run)
        await s.flush()
        await s.execute(text("UPDATE run SET status = 'failed', error = 'boom' WHERE id = :id"), {"id": run.id})
        return run.id


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://10.0.0.5/hook", "private address"),
        ("http://169.254.169.254/latest/meta-data", "cloud metadata"),
        ("http://[::ffff:192.168.1.1]/x", "private address"),
        ("http://127.0.0.2:8080/x", "loopback"),  # the tests allow 127.0.0.1 only
        ("ftp://example.com/x", "must start with https://"),
        ("https://user:pw@example.com/x", "no user name or password"),
    ],
)
async def test_a_url_inside_the_network_is_refused_at_the_form(tenants: TenantFactory, url: str, words: str) -> None:
    acct = await tenants.create()
    with pytest.raises(InvalidFields) as refused:
        await hook(acct, url)
    assert words in refused.value.fields["url"]
    assert await deliveries(acct) == []


async def test_a_finished_run_is_delivered_signed_as_documented(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    with running(Receiver()) as receiver:
        made = await hook(acct, receiver.url)
        receiver.secret = made.secret
        run_id = await fail_a_run(acct)
        [delivery] = await deliveries(acct)
        assert delivery.event == "run.failed" and delivery.status == DeliveryStatus.PENDING.value
        assert await deliver(acct.ctx.tenant_id, delivery.id) is DeliveryStatus.SUCCEEDED
    [got] = receiver.received
    assert got.verified, got.reason
    assert got.event_id == str(delivery.event_id)
    assert got.body["type"] == "run.failed" and got.body["data"]["run"]["id"] == str(run_id)
    assert got.body["data"]["run"]["error"] == "boom"
    [settled] = await deliveries(acct)
    assert settled.status == DeliveryStatus.SUCCEEDED.value and settled.log[-1]["status_code"] == 204


async def test_a_wrong_secret_does_not_verify(tenants: TenantFactory) -> None:
    """The receiver really checks: with another secret the same delivery is refused."""
    acct = await tenants.create()
    with running(Receiver(secret="whsec_not-the-right-one")) as receiver:
        await hook(acct, receiver.url)
        await fail_a_run(acct)
        [delivery] = await deliveries(acct)
        with pytest.raises(DeliveryRetry):
            await deliver(acct.ctx.tenant_id, delivery.id)
    assert [r.reason for r in receiver.received] == ["signature"]


async def test_failures_are_retried_with_back_off_logged_and_given_up(
    tenants: TenantFactory, settings_env: Callable[..., Settings]
) -> None:
    settings_env(webhook_timeout_seconds="0.5", webhook_retry_seconds="30,120")
    acct = await tenants.create()
    with running(Receiver(script=["500", "stall", "500"], stall_seconds=2)) as receiver:
        made = await hook(acct, receiver.url)
        receiver.secret = made.secret
        await fail_a_run(acct)
        [delivery] = await deliveries(acct)
        waits = []
        for _ in range(2):
            with pytest.raises(DeliveryRetry) as retry:
                await deliver(acct.ctx.tenant_id, delivery.id)
            waits.append(retry.value.delay)
        assert await deliver(acct.ctx.tenant_id, delivery.id) is DeliveryStatus.FAILED
        assert await deliver(acct.ctx.tenant_id, delivery.id) is None  # settled: nothing more is sent
    assert waits == [30, 120]
    [settled] = await deliveries(acct)
    assert settled.attempts == 3 and settled.status == DeliveryStatus.FAILED.value
    assert [e["status_code"] for e in settled.log] == [500, None, 500]
    assert settled.log[0]["response"] == "receiver broke"
    assert "No answer within 0.5 s" in settled.log[1]["error"]
    assert all(r.verified for r in receiver.received)


async def test_an_address_that_turns_private_at_delivery_is_refused_without_retrying(
    tenants: TenantFactory, fake_dns: FakeDNS
) -> None:
    acct = await tenants.create()
    fake_dns.play("hooks.example", ["93.184.216.34"], ["10.1.2.3"])  # public when saved, private when sent
    await hook(acct, "https://hooks.example/nyx")
    await fail_a_run(acct)
    [delivery] = await deliveries(acct)
    assert await deliver(acct.ctx.tenant_id, delivery.id) is DeliveryStatus.FAILED
    [settled] = await deliveries(acct)
    assert "private address (10.1.2.3)" in settled.log[0]["error"] and settled.attempts == 1


async def test_only_subscribed_active_webhooks_get_an_event(tenants: TenantFactory) -> None:
    acct, other = await tenants.create(), await tenants.create()
    await hook(acct, "https://93.184.216.34/a", ["run.succeeded"])
    paused = await hook(acct, "https://93.184.216.34/b", ["run.failed"])
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await store.update_webhook(s, acct.ctx, paused.view.id, active=False)
    await hook(acct, "https://93.184.216.34/c", ["run.failed"])
    await hook(other, "https://93.184.216.34/other", EVENTS)
    await fail_a_run(acct)
    assert [(d.event, d.webhook_id != paused.view.id) for d in await deliveries(acct)] == [("run.failed", True)]
    assert await deliveries(other) == []


async def test_a_run_the_engine_finishes_and_its_report_each_make_a_delivery(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    wf = await workflow(ws, definition=steps({"key": "draft", "name": "Draft", "prompt": "Summarise {{notes}}"}))
    await hook(ws.account, "https://93.184.216.34/all")
    run = await run_to_end(ws, await start(ws, wf))
    assert run.status == "succeeded"
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await save_report(s, ws.ctx, project_id=ws.project_id, kind=ReportKind.OVERVIEW, title="Overview", body="# Hi")
    events = [(d.event, d.payload) for d in await deliveries(ws.account)]
    assert [e for e, _ in events] == ["run.succeeded", "report.ready"]
    assert events[0][1]["run"]["id"] == str(run.id) and events[1][1]["report"]["title"] == "Overview"


async def test_a_worker_retries_until_the_receiver_answers(
    tenants: TenantFactory, settings_env: Callable[..., Settings]
) -> None:
    """Real jobs: the trigger queues the delivery, a worker process sends it, the receiver answers
    500 once, the job comes back after the (shortened) wait and succeeds; the log has both."""
    acct = await tenants.create()
    with running(Receiver(script=["500", "ok"])) as receiver:
        made = await hook(acct, receiver.url)
        receiver.secret = made.secret
        with worker_process(NYX_WEBHOOK_RETRY_SECONDS="0.1,0.1") as worker:
            await fail_a_run(acct)
            deadline = time.monotonic() + 240  # a worker imports LiteLLM first, on a shared machine
            while time.monotonic() < deadline:
                [delivery] = await deliveries(acct)
                if delivery.status != DeliveryStatus.PENDING.value:
                    break
                await asyncio.sleep(0.2)
            log = worker.output()
    assert delivery.status == DeliveryStatus.SUCCEEDED.value, (delivery.log, log[-3000:])
    assert [e["status_code"] for e in delivery.log] == [500, 204]
    assert [r.verified for r in receiver.received] == [True, True]
