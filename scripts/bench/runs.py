"""Benchmarks of the run engine against the fake LLM server (loopback HTTP, real LiteLLM).

    PYTHONPATH=. .venv/bin/python scripts/bench/runs.py [--p1-steps 40] [--latency 1.0] [--only p1 p2]

P1  Engine overhead per step with the fake model answering at once: for a chain of steps (each
    naming the previous one), the time from one step's result being committed to the next one's,
    minus the time spent inside the provider call (LiteLLM + HTTP), which is reported apart.
    Persisting, notifying, rendering the template and the call path's own bookkeeping are in.
    Also printed: a whole step, commit to commit. Work overlapped with the call would vanish from
    the first figure yet still cost the worker's one event loop; the second keeps that honest.
P2  The seed's run shape, 16 calls over 4 levels (action points → 13 plans → synthesis → final
    prompt), each call taking ``--latency`` seconds: wall time with the engine's parallelism
    against the same workflow forced to one step at a time, as a ratio (at most 16/4 = 4x).
    Then the full flagship template (17 calls over 5 levels: enrichment first) against its own
    limit (17/5 = 3.4x).

Uses its own database (nyx_bench) on the embedded server. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_LLM_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.integrations import llm as adapter
from nyx_app.models.run import StepRun
from nyx_app.services import auth, note_images, notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import events, executor, record
from nyx_app.services.llm import credentials
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.runs import control
from nyx_app.services.workflows import store
from nyx_app.services.workflows.builtin import FLAGSHIP
from nyx_app.settings import get_settings
from tests.fakes.flagship import flagship
from tests.fakes.images import image_bytes
from tests.fakes.llm_server import FakeLLM, respond

MODEL = "claude-sonnet-4-6"
SEED_SHAPE = {
    "steps": [
        {"key": "action_points", "prompt": "list the concrete action points", "output": "json_list"},
        {
            "key": "plan",
            "prompt": "Write a detailed implementation plan\nAction point {{item_index}}: {{item.title}}",
            "for_each": "action_points",
        },
        {"key": "synthesis", "prompt": "Check them against each other: {{steps.plan.output}}"},
        {"key": "final", "prompt": "Write the final implementation prompt: {{steps.synthesis.output}}"},
    ]
}


async def workspace(fake: FakeLLM) -> tuple[TenantContext, object]:
    stamp = time.time_ns()
    token = await auth.register(f"bench{stamp}@example.com", "violet-harbor-kite-91", "Bench", f"Bench {stamp}")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        await credentials.save_key(s, ctx, "anthropic", "sk-bench-000000", fake.anthropic_base)
        project = await projects.create_project(s, ctx, "Bench project", "Benchmarking the run engine")
        note = await notes.create_note(s, ctx, project.id, "Login page", "The login page needs work.")
    checked = await note_images.check_files([IncomingFile(f"s{i}.png", image_bytes(size=(640, 400))) for i in range(3)])
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        await note_images.save_images(s, ctx, note.id, checked)
    return ctx, project.id


async def run_workflow(ctx: TenantContext, project_id: object, definition: dict | None, template: str = "") -> float:
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        wf = await store.create_workflow(s, ctx, project_id, name=f"wf {time.time_ns()}", template=template)
        if definition is not None:
            await store.save_workflow(s, ctx, wf.id, name=wf.name, description="", definition=definition)
        run = await control.start_workflow_run(s, ctx, wf.id)
    started = time.perf_counter()
    status = await executor.execute(ctx.tenant_id, run.id)
    elapsed = time.perf_counter() - started
    assert status == "succeeded", status
    return elapsed


async def p1(ctx: TenantContext, project_id: object, fake: FakeLLM, steps: int) -> None:
    fake.script(MODEL, then=respond(lambda p: "ok " + p[-20:]))
    chain = [{"key": "s0", "prompt": "start"}] + [
        {"key": f"s{i}", "prompt": f"next {i}: {{{{steps.s{i - 1}.output}}}}"} for i in range(1, steps)
    ]
    in_call: list[float] = []
    committed: list[float] = []
    real_complete, real_applying = adapter.complete, record.Recorder.applying
    real_landed = record.Success.landed

    async def timed_complete(**kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return await real_complete(**kwargs)
        finally:
            in_call.append(time.perf_counter() - t0)

    @contextlib.asynccontextmanager
    async def timed_applying(self, event, user_id=None):  # type: ignore[no-untyped-def]
        async with real_applying(self, event, user_id) as session:
            yield session
        if isinstance(event, events.StepSucceeded):  # committed
            committed.append(time.perf_counter())

    def timed_landed(self):  # type: ignore[no-untyped-def]
        real_landed(self)
        committed.append(time.perf_counter())

    adapter.complete = timed_complete  # type: ignore[assignment]
    record.Recorder.applying = timed_applying  # type: ignore[method-assign]
    record.Success.landed = timed_landed  # type: ignore[method-assign]
    try:
        await run_workflow(ctx, project_id, {"steps": chain[:5]})  # warm-up (imports, pools)
        in_call.clear()
        committed.clear()
        await run_workflow(ctx, project_id, {"steps": chain})
    finally:
        adapter.complete = real_complete  # type: ignore[assignment]
        record.Recorder.applying = real_applying  # type: ignore[method-assign]
        record.Success.landed = real_landed  # type: ignore[method-assign]
    gaps = [b - a for a, b in itertools.pairwise(committed)]
    overhead = sorted((g - c) * 1000 for g, c in zip(gaps, in_call[1:], strict=False))
    calls = sorted(c * 1000 for c in in_call)
    print(f"P1  engine overhead per step ({len(overhead)} steps of a chain, instant fake model):")
    p95 = overhead[int(len(overhead) * 0.95)]
    print(f"      median {statistics.median(overhead):.1f} ms   p95 {p95:.1f} ms   (goal: median <= 5 ms)")
    print(
        f"      for scale, inside the provider call (LiteLLM + loopback HTTP): median {statistics.median(calls):.1f} ms"
    )
    rows_ms = fan_out_rows_ms(200)
    print(f"      for scale, building a 200-item fan-out's step rows in memory: {rows_ms:.1f} ms (once per fan-out)")
    # The honest total: work the engine overlaps with the call still costs this loop's CPU.
    print(f"      a whole step, commit to commit: median {statistics.median(gaps) * 1000:.1f} ms")


def fan_out_rows_ms(items: int) -> float:
    """The engine builds one StepRun per fan-out item on its event loop (Recorder.expand)."""
    tenant_id, run_id = uuid.uuid4(), uuid.uuid4()
    started = time.perf_counter()
    for index in range(items):
        StepRun(tenant_id=tenant_id, run_id=run_id, key="plan", item_index=index, item={"title": "x"}, label="x")
    return (time.perf_counter() - started) * 1000


async def p2(ctx: TenantContext, project_id: object, fake: FakeLLM, latency: float) -> None:
    # Warm-up, as for P1: the first fan-out of a process imports the code paths of unstreamed
    # calls (fan-out items are not streamed), which would land in whichever variant ran first.
    fake.script(MODEL, then=respond(flagship(13)))
    await run_workflow(ctx, project_id, SEED_SHAPE)
    fake.script(MODEL, then=respond(flagship(13), latency=latency))
    settings = get_settings()
    parallel = await run_workflow(ctx, project_id, SEED_SHAPE)
    limit = settings.run_max_parallel_steps
    settings.run_max_parallel_steps = 1
    try:
        sequential = await run_workflow(ctx, project_id, SEED_SHAPE)
    finally:
        settings.run_max_parallel_steps = limit
    print(f"P2  seed shape, 16 calls over 4 levels, {latency:g} s per call:")
    print(
        f"      one step at a time {sequential:6.2f} s   in parallel {parallel:6.2f} s   "
        f"ratio {sequential / parallel:.2f}x   (limit 4.00x, goal >= 3.6x)"
    )
    flag_parallel = await run_workflow(ctx, project_id, None, template=FLAGSHIP)
    settings.run_max_parallel_steps = 1
    try:
        flag_sequential = await run_workflow(ctx, project_id, None, template=FLAGSHIP)
    finally:
        settings.run_max_parallel_steps = limit
    print("    flagship template, 17 calls over 5 levels (with 3 screenshots):")
    print(
        f"      one step at a time {flag_sequential:6.2f} s   in parallel {flag_parallel:6.2f} s   "
        f"ratio {flag_sequential / flag_parallel:.2f}x   (limit 3.40x)"
    )


async def main(args: argparse.Namespace) -> None:
    fake = FakeLLM().start()
    try:
        ctx, project_id = await workspace(fake)
        print(f"cores: {os.cpu_count()}, database: {get_settings().database_name}")
        if "p1" in args.only:
            await p1(ctx, project_id, fake, args.p1_steps)
        if "p2" in args.only:
            await p2(ctx, project_id, fake, args.latency)
    finally:
        fake.stop()
        await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--p1-steps", type=int, default=40)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--only", nargs="+", choices=["p1", "p2"], default=["p1", "p2"])
    parsed = parser.parse_args()
    prepare(get_settings())
    asyncio.run(main(parsed))
