"""Following a run live over Server-Sent Events: a client that drops the connection mid-run and
comes back with Last-Event-ID gets every event it missed, once; outputs arrive whole."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from nyx_app.api import SecurityHeaders, api
from nyx_app.services.engine.executor import execute
from tests.api.api_helpers import bearer, token_for
from tests.api.live_server import serving
from tests.factories import TenantFactory
from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.llm_server import FakeLLM, respond
from tests.runs_helpers import MODEL, start, step_rows, steps, workflow, workspace

__all__ = ["_fake_llm_server", "fake_llm"]
STATUS_EVENTS = {"step.queued", "step.started", "step.succeeded", "step.failed", "step.skipped", "run.finished"}


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict[str, Any]


async def events(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> AsyncIterator[Event]:
    """A minimal SSE reader (id, event, data lines; comments and pings skipped)."""
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line == "":
                if "event" in fields:
                    yield Event(fields.get("id", ""), fields["event"], json.loads(fields.get("data", "{}")))
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value


def outputs(seen: list[Event]) -> dict[tuple[str, Any], str]:
    text: dict[tuple[str, Any], str] = {}
    for e in seen:
        if e.type == "step.output":
            key = (e.data["step"], e.data["item_index"])
            assert e.data["offset"] == len(text.get(key, "")), "an increment overlaps or leaves a gap"
            text[key] = text.get(key, "") + e.data["text"]
    return text


def status_events(seen: list[Event]) -> list[tuple[str, str, Any]]:
    return [(e.type, e.data.get("step", ""), e.data.get("item_index")) for e in seen if e.type in STATUS_EVENTS]


async def test_a_dropped_stream_resumed_with_last_event_id_gives_every_event_once(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    chain = steps(
        {"key": "one", "name": "One", "prompt": "First {{notes}}"},
        {"key": "two", "name": "Two", "prompt": "Second {{steps.one.output}}", "depends_on": ["one"]},
        {"key": "three", "name": "Three", "prompt": "Third {{steps.two.output}}", "depends_on": ["two"]},
    )
    long_answer = lambda prompt: " ".join(f"word{n}" for n in range(120))  # noqa: E731
    fake_llm.script(MODEL, then=respond(long_answer, latency=0.05, chunk_delay=0.004))
    run_id = await start(ws, await workflow(ws, definition=chain))
    auth = bearer(await token_for(ws.account, ["read"]))
    url = f"/api/v1/runs/{run_id}/events"

    async with serving(SecurityHeaders(api)) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        first: list[Event] = []
        running = asyncio.create_task(execute(ws.ctx.tenant_id, run_id))
        async for event in events(client, url, auth):
            first.append(event)
            if event.type == "step.output" and event.data["step"] == "two":
                break  # the connection drops in the middle of step two's answer
        await running
        rest = [e async for e in events(client, url, {**auth, "Last-Event-ID": first[-1].id})]
        fresh = [e async for e in events(client, url, auth)]

    both = first + rest
    assert rest and rest[-1].type == "run.finished" and rest[-1].data["status"] == "succeeded"
    statuses = status_events(both)
    assert len(statuses) == len(set(statuses)), "a status event came twice"
    assert sorted(statuses, key=str) == sorted(status_events(fresh), key=str)
    rows = await step_rows(ws, run_id)
    final = {(k, None): r.output for (k, i), r in rows.items()}
    assert outputs(both) == final == outputs(fresh)
    assert [e.id for e in both] == list(dict.fromkeys(e.id for e in both))  # every position once
    assert len({e.id for e in first} & {e.id for e in rest}) == 0


async def test_a_foreign_or_unknown_run_is_404_and_a_foreign_id_starts_over(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)
    other = await tenants.create()
    fake_llm.script(MODEL, then=respond(lambda p: "done"))
    run_id = await start(ws, await workflow(ws, definition=steps({"key": "a", "name": "A", "prompt": "Hi {{notes}}"})))
    await execute(ws.ctx.tenant_id, run_id)
    async with serving(SecurityHeaders(api)) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        foreign = await client.get(f"/api/v1/runs/{run_id}/events", headers=bearer(await token_for(other)))
        assert foreign.status_code == 404
        auth = bearer(await token_for(ws.account, ["read"]))
        garbage = [e async for e in events(client, f"/api/v1/runs/{run_id}/events", {**auth, "Last-Event-ID": "v9~x"})]
        assert [e.type for e in garbage][-1] == "run.finished" and garbage[0].type == "step.queued"
