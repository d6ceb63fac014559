"""The per-provider concurrency limit holds over every worker process, not per process: two real
workers, each running one run of the same tenant, never have more than the limit in flight together."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import text

from nyx_app.db.session import transaction
from nyx_app.models.run import RunStatus
from tests.factories import TenantFactory
from tests.fakes.llm_server import FakeLLM, respond
from tests.jobs.workers import worker_process
from tests.runs_helpers import MODEL, load_run, start, steps, workflow, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

FAN_OUT = steps(
    {"key": "points", "prompt": "List", "output": "json_list"},
    {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
)
LIMIT, ITEMS = 2, 8


ALIVE = text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '3 seconds'")


async def _workers_alive() -> int:
    async with transaction() as s:
        return int((await s.execute(ALIVE)).scalar_one())


async def test_two_workers_together_send_no_more_than_the_provider_limit(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, images=0)  # no describe job beside the runs

    def answer(prompt: str) -> str:
        return json.dumps([f"item {i}" for i in range(1, ITEMS + 1)]) if prompt == "List" else f"done: {prompt}"

    # 1.5 s per call: each run lasts >= 6 s, so both workers hold one even on a loaded machine.
    fake_llm.script(MODEL, then=respond(answer, latency=1.5))
    # One run per worker (concurrency 1), each worker allowed LIMIT calls: counted per process that
    # would be 2 * LIMIT at once; the shared limit keeps it at LIMIT.
    one_each = {"NYX_LLM_PROVIDER_CONCURRENCY": str(LIMIT), "NYX_WORKER_CONCURRENCY": "1"}
    with worker_process(**one_each) as a, worker_process(**one_each) as b:
        deadline = time.monotonic() + 120
        while await _workers_alive() < 2:  # both ready before the runs exist, so they overlap
            assert time.monotonic() < deadline, a.output()[-2000:] + b.output()[-2000:]
            await asyncio.sleep(0.1)
        # Two workflows: one workflow runs once at a time in a project.
        first = await start(ws, await workflow(ws, definition=FAN_OUT))
        second = await start(ws, await workflow(ws, definition=FAN_OUT))
        while True:
            runs = [await load_run(ws, first), await load_run(ws, second)]
            if all(RunStatus(r.status).finished for r in runs):
                break
            assert time.monotonic() < deadline, a.output()[-2000:] + b.output()[-2000:]
            await asyncio.sleep(0.2)
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED], [r.error for r in runs]
    assert len({r.lease_holder for r in runs}) == 2, "both runs ran in one worker"  # "host pid N"
    assert fake_llm.calls(MODEL) == 2 * (ITEMS + 1)
    assert fake_llm.max_in_flight == LIMIT
