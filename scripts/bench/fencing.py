"""What fencing costs a run's step writes: the same writes with and without the lease hold.

    PYTHONPATH=. .venv/bin/python scripts/bench/fencing.py [--rounds 400]

A step's start goes out in one round trip on the run's held connection (``db.pipeline``), now with
``SELECT nyx_hold_run(...)`` first; a write in a session (a failed step, a fan-out's items) starts
with the hold as one more statement. Each pair is timed alternately, so the machine's load falls on
both alike; printed: the medians and p95 of each, and the difference of the medians.

Uses its own database (nyx_bench) on the embedded server. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import update
from sqlmodel import col, select

from nyx_app.db import lease
from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.pipeline import HeldConnection
from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunStatus, StepRun
from nyx_app.services import auth, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import events
from nyx_app.services.engine.statements import STARTED, STARTED_AT_ONCE, started_values
from nyx_app.services.llm import credentials
from nyx_app.services.runs import control
from nyx_app.services.workflows import store
from nyx_app.settings import get_settings


async def a_running_step() -> tuple[TenantContext, uuid.UUID, uuid.UUID, int]:
    stamp = time.time_ns()
    token = await auth.register(f"fence{stamp}@example.com", "violet-harbor-kite-91", "Bench", f"Fencing {stamp}")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        await credentials.save_key(s, ctx, "anthropic", "sk-bench-000000")
        project = await projects.create_project(s, ctx, f"Fencing {stamp}")
        wf = await store.create_workflow(s, ctx, project.id)
        run = await control.start_workflow_run(s, ctx, wf.id)
        epoch = await lease.claim(s, run.id, "bench")
        assert epoch is not None
        await s.execute(update(Run).where(col(Run.id) == run.id).values(status=RunStatus.RUNNING.value))
        row = (await s.exec(select(StepRun).where(StepRun.run_id == run.id))).one()
    return ctx, run.id, row.id, epoch


def figures(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    return f"{name}: median {statistics.median(ordered):.3f} ms  p95 {ordered[int(len(ordered) * 0.95)]:.3f} ms"


async def main(rounds: int) -> None:
    ctx, run_id, row_id, epoch = await a_running_step()
    started = events.StepStarted(row_id, "anthropic", "anthropic/claude-sonnet-4-6", "A prompt", "")
    statement = STARTED_AT_ONCE.bind(started_values(started))
    hold = lease.hold_at_once(run_id, epoch)
    held = HeldConnection()
    pipelined: dict[str, list[float]] = {"without the hold": [], "with the hold": []}
    sessions: dict[str, list[float]] = {"without the hold": [], "with the hold": []}
    for n in range(rounds + 20):  # the first 20 warm up
        for name, statements in (("without the hold", [statement]), ("with the hold", [hold, statement])):
            t0 = time.perf_counter()
            await held.write(ctx.tenant_id, ctx.user_id, statements)
            if n >= 20:
                pipelined[name].append((time.perf_counter() - t0) * 1000)
        for name, fenced in (("without the hold", False), ("with the hold", True)):
            t0 = time.perf_counter()
            async with transaction(ctx.tenant_id, ctx.user_id) as s:
                if fenced:
                    await lease.hold(s, run_id, epoch)
                await s.execute(STARTED, started_values(started))
            if n >= 20:
                sessions[name].append((time.perf_counter() - t0) * 1000)
    await held.close()
    print(f"cores: {os.cpu_count()}, database: {get_settings().database_name}, {rounds} writes of each kind")
    for title, measured in (("a step's start in one round trip", pipelined), ("a write in a session", sessions)):
        print(f"    {title}:")
        for name, times in measured.items():
            print(f"      {figures(name, times)}")
        extra = statistics.median(measured["with the hold"]) - statistics.median(measured["without the hold"])
        print(f"      the hold adds {extra:.3f} ms (median)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=400)
    parsed = parser.parse_args()
    prepare(get_settings())
    try:
        asyncio.run(main(parsed.rounds))
    finally:
        asyncio.run(dispose_engines())
