"""Browser: make an API token on the Account page, call the API with it from a program, then see
that call in the token's last use and in the audit log; the docs and audit pages are captured."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import goto_signed_in, register

pytestmark = pytest.mark.e2e


def test_a_token_made_in_the_app_calls_the_api_and_the_call_shows_in_last_use_and_the_audit_log(
    page: Page, app_url: str
) -> None:
    register(page, "Ada Token", "Token Works")
    goto_signed_in(page, "/settings/account")
    card = page.locator("#api-tokens")
    card.locator("#personal-token-name").fill("Release script")
    card.locator("#personal-token-scope-write").click()  # read is ticked already
    card.locator("#personal-token-submit").click()
    token = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(r"nyx_[0-9a-f]{32}_[A-Za-z0-9_-]{43}", token)
    expect(card.locator(".token-row", has_text="Release script")).to_contain_text("not used yet")

    with httpx.Client(base_url=app_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        made = api.post("/api/v1/projects", json={"name": "Made by the API", "description": "from a script"})
        assert made.status_code == 201, made.text
        assert made.headers["ratelimit-policy"].startswith('"tenant";q=')
        listed = api.get("/api/v1/projects").json()["items"]
        assert [p["name"] for p in listed] == ["Made by the API"]
        assert api.get("/api/v1/projects", headers={"Authorization": "Bearer nyx_wrong"}).status_code == 401

    page.reload()
    row = page.locator("#api-tokens .token-row", has_text="Release script")
    expect(row.locator(".token-last-used")).to_contain_text(re.compile(r"just now from 127\.0\.0\.1"))

    goto_signed_in(page, "/settings/audit")
    table = page.locator("#audit-table")
    expect(table.locator(".audit-row", has_text="POST /api/v1/projects")).to_be_visible()
    call = table.locator(".audit-row", has_text="POST /api/v1/projects")
    expect(call).to_contain_text("Release script")  # the token it came with
    expect(call).to_contain_text("api")
    expect(table.locator(".audit-row", has_text="API token created")).to_contain_text("Release script")
    page.screenshot(path=str(ARTIFACTS / "audit-log.png"), full_page=True)

    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("nyxCore API")
    expect(page.locator(".opblock-summary-path", has_text="/runs/{run_id}/events").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)


def test_a_webhook_inside_the_network_is_refused_at_its_field_and_a_public_one_is_added(page: Page) -> None:
    register(page, "Wes Hook", "Hook Works")
    goto_signed_in(page, "/settings/webhooks")
    page.fill("#new-webhook-name", "Metadata")
    page.fill("#new-webhook-url", "http://169.254.169.254/latest/meta-data/")
    page.click("#add-webhook")
    expect(page.locator("#new-webhook-url-error")).to_contain_text("cloud metadata address")
    expect(page.locator("#webhooks .webhook-row")).to_have_count(0)
    page.fill("#new-webhook-name", "Team chat")
    page.fill("#new-webhook-url", "https://93.184.216.34/hooks/nyx")
    page.click("#add-webhook")
    expect(page.locator("#new-secret")).to_contain_text("whsec_")
    expect(page.locator("#webhooks .webhook-row", has_text="Team chat")).to_contain_text("run.succeeded")
    page.screenshot(path=str(ARTIFACTS / "webhooks.png"), full_page=True)
    goto_signed_in(page, "/settings/account")
    expect(page.locator("#personal-tokens-empty")).to_be_visible()
    page.locator("#api-tokens").screenshot(path=str(ARTIFACTS / "account-api-tokens.png"))
