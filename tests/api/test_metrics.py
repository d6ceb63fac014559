"""/metrics: Prometheus text with whole-installation figures from PostgreSQL; only for a bearer of
NYX_METRICS_TOKEN, or (no token set) a direct request from loopback."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from nyx_app.settings import Settings
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, answer
from tests.runs_helpers import MODEL, run_to_end, start, workflow, workspace

pytestmark = pytest.mark.usefixtures("db", "local_storage")


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


async def test_metrics_count_runs_calls_and_the_queue_of_every_tenant(
    web: httpx.AsyncClient, tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    for _ in range(2):  # two tenants: the figures add up over both, whatever RLS shows one of them
        ws = await workspace(tenants, fake_llm)
        fake_llm.script(MODEL, then=answer("A draft."))
        await run_to_end(ws, await start(ws, await workflow(ws)))
    answer_ = await web.get("/metrics")
    assert answer_.status_code == 200, answer_.text
    assert answer_.headers["content-type"].startswith("text/plain; version=0.0.4")
    got = _samples(answer_.text)
    assert got[("nyx_runs", (("status", "succeeded"),))] == 2
    assert got[("nyx_llm_calls", (("provider", "anthropic"), ("status", "ok")))] == 2
    assert got[("nyx_llm_tokens", (("direction", "out"), ("provider", "anthropic")))] > 0
    assert got[("nyx_steps_finished", ())] == 2
    assert ("nyx_queue_jobs", (("state", "todo"),)) in got
    assert ("nyx_queue_oldest_todo_seconds", ()) in got
    assert ("nyx_pdf_render_seconds_count", ()) in got  # this process's own histogram


async def test_metrics_need_the_token_when_one_is_set(
    web: httpx.AsyncClient, settings_env: Callable[..., Settings]
) -> None:
    settings_env(metrics_token="scrape-secret-123")
    assert (await web.get("/metrics")).status_code == 404
    assert (await web.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
    ok = await web.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"})
    assert ok.status_code == 200
    assert "nyx_runs" in ok.text


async def test_without_a_token_a_request_through_a_proxy_is_refused(web: httpx.AsyncClient) -> None:
    refused = await web.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert refused.status_code == 404
