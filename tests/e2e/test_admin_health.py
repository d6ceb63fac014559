"""The owners' health page: the queue, the app's own worker alive with its heartbeat, and a failed
job of the workspace queued again with its Retry button."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nyx_app.db.urls import admin_url
from nyx_app.settings import Settings
from tests.e2e.conftest import E2E_DATABASE
from tests.e2e.helpers import register, unique_email

pytestmark = pytest.mark.e2e


def _superuser():  # type: ignore[no-untyped-def]
    url = make_url(admin_url(Settings(database_name=E2E_DATABASE))).set(database=E2E_DATABASE)
    return create_engine(url)


def _failed_job_of(email: str) -> int:
    engine = _superuser()
    try:
        with engine.begin() as conn:
            tenant = conn.execute(
                text("SELECT m.tenant_id FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = :e"),
                {"e": email},
            ).scalar_one()
            args = json.dumps({"tenant_id": str(tenant), "report_id": "00000000-0000-4000-8000-000000000000"})
            return int(
                conn.execute(
                    text(
                        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, attempts) "
                        "VALUES ('nyx-admin-test', 'nyx.report_pdf', CAST(:a AS jsonb), 'failed', 1) RETURNING id"
                    ),
                    {"a": args},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _attempts(job_id: int) -> int | None:
    engine = _superuser()
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT attempts FROM procrastinate_jobs WHERE id = :i"), {"i": job_id})
            value = found.scalar_one_or_none()
            return None if value is None else int(value)
    finally:
        engine.dispose()


def test_an_owner_sees_the_queue_and_workers_and_retries_a_failed_job(page: Page) -> None:
    email = unique_email("health")
    register(page, "Hal", "Health team", email=email)
    page.goto("/settings/health")
    expect(page.locator("#queue-todo")).to_have_text(re.compile(r"^\d+$"))
    # The app's own worker (a child process) may still be starting: Refresh until it has beaten.
    deadline = time.monotonic() + 120
    while page.locator(".worker-row").count() == 0:
        assert time.monotonic() < deadline, "no worker appeared on the page"
        page.wait_for_timeout(1000)
        page.click("#health-refresh")
    expect(page.locator(".worker-row .worker-state").first).to_have_text("alive")
    expect(page.locator(".worker-row .worker-heartbeat").first).to_contain_text("s ago")
    expect(page.locator("#no-failed")).to_be_visible()

    job_id = _failed_job_of(email)
    page.click("#health-refresh")
    row = page.locator(f"#failed-{job_id}")
    expect(row).to_contain_text("nyx.report_pdf")
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("The job is queued again.")).to_be_visible()
    expect(row).to_have_count(0)
    # Back in the queue (attempts + 1); None: a worker already ran it and it was deleted as done.
    attempts = _attempts(job_id)
    assert attempts is None or attempts >= 2, attempts
