"""``/metrics`` in Prometheus' text format (prometheus-client), for operators only.

Access: with ``NYX_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>``; unset, only a
direct request from loopback (one that came through a proxy, i.e. carries X-Forwarded-For, is
refused: a proxy on the same host would make every visitor look local). deploy/haproxy.cfg also
denies the path from outside.

Whole-installation figures come from PostgreSQL at scrape time (services/metrics.py), so any app
process answers for all; this process's own figures (websocket clients, state-manager round trip,
PDF render times) are labelled with nothing more than the process Prometheus scraped.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from nyx_app import routes
from nyx_app.services import metrics
from nyx_app.settings import get_settings

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LOOPBACK = {"127.0.0.1", "::1"}


def allowed(request: Request) -> bool:
    token = get_settings().metrics_token
    if token is not None:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token.get_secret_value()}".encode())
    peer = request.client.host if request.client else ""
    return peer in _LOOPBACK and "x-forwarded-for" not in request.headers


def _gauge(name: str, doc: str, labels: list[str], values: dict[tuple[str, ...], float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key), value)
    return family


class _Snapshot(Collector):
    def __init__(self, snap: metrics.Snapshot, websockets: int | None, state_ping: float | None) -> None:
        self.snap, self.websockets, self.state_ping = snap, websockets, state_ping

    def collect(self) -> Iterator[Metric]:
        s = self.snap
        yield _gauge("nyx_runs", "Runs by status (all tenants)", ["status"], {(k,): v for k, v in s.runs.items()})
        yield _gauge("nyx_queue_jobs", "Jobs in the queue by state", ["state"],
                     {("todo",): s.queue_todo, ("doing",): s.queue_doing, ("failed",): s.queue_failed})  # fmt: skip
        yield _gauge("nyx_queue_oldest_todo_seconds", "Age of the oldest job waiting for a worker", [],
                     {(): s.oldest_todo_seconds})  # fmt: skip
        yield _gauge("nyx_workers_alive", "Job workers with a heartbeat in the last 30 s", [],
                     {(): sum(1 for w in s.workers if time.time() - w.last_heartbeat.timestamp() < 30)})  # fmt: skip
        window = f"last {int(metrics.WINDOW.total_seconds() // 60)} minutes"
        yield _gauge("nyx_llm_calls", f"LLM call attempts by provider and outcome, {window}",
                     ["provider", "status"], dict(s.llm_calls))  # fmt: skip
        yield _gauge("nyx_llm_tokens", f"LLM tokens by provider and direction, {window}",
                     ["provider", "direction"], dict(s.llm_tokens))  # fmt: skip
        yield _gauge("nyx_llm_cost_usd", f"LLM cost by provider, {window}", ["provider"],
                     {(k,): v for k, v in s.llm_cost_usd.items()})  # fmt: skip
        yield _gauge("nyx_step_seconds_mean", f"Mean duration of the steps finished in the {window}", [],
                     {(): s.step_seconds_sum / s.step_count if s.step_count else 0.0})  # fmt: skip
        yield _gauge("nyx_steps_finished", f"Steps finished in the {window}", [], {(): s.step_count})
        if self.websockets is not None:
            yield _gauge("nyx_websocket_clients", "Browsers connected to this process", [], {(): self.websockets})
        if self.state_ping is not None:
            yield _gauge("nyx_state_manager_roundtrip_seconds", "One round trip to the state manager's Redis",
                         [], {(): self.state_ping})  # fmt: skip


def _websocket_clients() -> int | None:
    """Browsers whose websocket this process holds (Reflex's own map of them)."""
    try:
        from reflex.utils.prerequisites import get_and_validate_app

        namespace = get_and_validate_app().app.event_namespace
        return len(namespace.token_to_sid) if namespace is not None else 0
    except Exception:
        return None


async def _state_roundtrip() -> float | None:
    url = get_settings().redis_url
    if not url:
        return None
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        started = time.perf_counter()
        await client.ping()  # type: ignore[misc]
        return time.perf_counter() - started
    except Exception:
        return None
    finally:
        await client.aclose()


async def metrics_endpoint(request: Request) -> Response:
    if not allowed(request):
        return PlainTextResponse("Not found", status_code=404)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(await metrics.snapshot(), _websocket_clients(), await _state_roundtrip()))
    body = generate_latest(registry) + generate_latest(REGISTRY)  # + this process's PDF times, CPU, memory
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


metrics_routes = [Route(routes.METRICS, metrics_endpoint, methods=["GET"])]
