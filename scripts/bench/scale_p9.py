"""P9: engine throughput over 2 real worker processes against a bare loop of the same LiteLLM calls.

    PYTHONPATH=. .venv/bin/python scripts/bench/scale_p9.py [--runs 100] [--latency 1.0]

1. Instant fake model: ``--runs`` runs of the seed's shape started at once (16 calls over 4 levels:
   action points -> 13 plans -> synthesis -> final), spread over 10 tenants, executed by 2 worker
   processes (``cli worker``, 8 runs at a time each, the default; the rest wait in the queue).
   Steps per second from the first run started to the last finished, against 2 processes each
   running half of the same calls with LiteLLM directly, same shape, 8 runs at a time, nothing
   else (goal: >= 0.6).
2. The same runs with every call taking ``--latency`` seconds: wall time of all of them at once
   against one run alone (its critical path: 4 levels), as a ratio.

Uses its own database (nyx_bench). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_LLM_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from nyx_app.db.bootstrap import prepare  # noqa: E402
from nyx_app.db.engine import dispose_engines  # noqa: E402
from nyx_app.db.session import transaction  # noqa: E402
from nyx_app.services import auth, projects  # noqa: E402
from nyx_app.services.context import TenantContext  # noqa: E402
from nyx_app.services.llm import credentials  # noqa: E402
from nyx_app.services.runs import control  # noqa: E402
from nyx_app.services.workflows import store  # noqa: E402
from nyx_app.settings import get_settings  # noqa: E402
from tests.fakes.flagship import flagship  # noqa: E402
from tests.fakes.llm_server import FakeLLM, respond  # noqa: E402

MODEL = "claude-sonnet-4-6"
TENANTS = 10
STEPS_PER_RUN = 16
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
WORKER_ENV = {
    # The default, 8 runs at once per worker. At 60 and at 25 each worker's 10 + 20 database
    # connections ran out (QueuePool timeouts after 30 s) and runs failed: deploy/SCALING.md.
    "NYX_WORKER_CONCURRENCY": "8",
    "NYX_LLM_PROVIDER_CONCURRENCY": "200",  # the engine is measured here, not the provider limit
    "NYX_WORKER_IN_PROCESS": "false",
}


async def tenants(fake: FakeLLM, runs: int) -> list[tuple[TenantContext, list[object]]]:
    """TENANTS tenants, each with runs / TENANTS workflows of the seed's shape (one run each)."""
    made = []
    for n in range(TENANTS):
        stamp = time.time_ns()
        token = await auth.register(f"p9-{stamp}@example.com", "violet-harbor-kite-91", "P9", f"P9 {n} {stamp}")
        ident = await auth.resolve(token)
        assert ident is not None
        ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            await credentials.save_key(s, ctx, "anthropic", "sk-bench-000000", fake.anthropic_base)
            project = await projects.create_project(s, ctx, "P9", "")
            flows = []
            for i in range(runs // TENANTS):
                wf = await store.create_workflow(s, ctx, project.id, name=f"wf {i}")
                await store.save_workflow(s, ctx, wf.id, name=wf.name, description="", definition=SEED_SHAPE)
                flows.append(wf.id)
        made.append((ctx, flows))
    return made


async def start_runs(made: list[tuple[TenantContext, list[object]]]) -> list[tuple[TenantContext, object]]:
    started = []
    for ctx, flows in made:
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            started.extend([(ctx, (await control.start_workflow_run(s, ctx, wf)).id) for wf in flows])  # type: ignore[arg-type]
    return started


async def wait_finished(started: list[tuple[TenantContext, object]]) -> None:
    pending = list(started)
    while pending:
        still = []
        for ctx, run_id in pending:
            async with transaction(ctx.tenant_id) as s:
                status = (await s.execute(text("SELECT status FROM run WHERE id = :id"), {"id": run_id})).scalar_one()
            if status not in ("succeeded", "failed", "cancelled"):
                still.append((ctx, run_id))
            elif status != "succeeded":
                raise RuntimeError(f"run {run_id} ended {status}")
        pending = still
        if pending:
            await asyncio.sleep(0.2)


async def workers_alive() -> int:
    async with transaction() as s:
        q = "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '5 seconds'"
        return int((await s.execute(text(q))).scalar_one())


def _bare_process(runs: int, base: str, start_at: float, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import litellm

    answer = flagship(13)

    async def call(prompt: str) -> str:
        response = await litellm.acompletion(
            model=f"anthropic/{MODEL}", api_base=base, api_key="sk-bench-000000",
            messages=[{"role": "user", "content": prompt}], max_tokens=1024,
        )  # fmt: skip
        return str(response.choices[0].message.content)

    async def one_run() -> int:
        await call("list the concrete action points")
        await asyncio.gather(
            *(call(f"Write a detailed implementation plan\nAction point {i}: A{i}") for i in range(13))
        )
        await call("Check them against each other")
        await call("Write the final implementation prompt")
        return STEPS_PER_RUN

    async def main() -> None:
        answer("warm")
        await one_run()  # warm-up: LiteLLM's first call imports and builds a lot
        time.sleep(max(0.0, start_at - time.time()))
        gate = asyncio.Semaphore(int(WORKER_ENV["NYX_WORKER_CONCURRENCY"]))  # as many runs at once as a worker

        async def gated() -> int:
            async with gate:
                return await one_run()

        t0 = time.time()
        done = sum(await asyncio.gather(*(gated() for _ in range(runs))))
        queue.put((t0, time.time(), done))

    asyncio.run(main())


def bare_loop(runs: int, base: str) -> float:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 25  # after both processes imported LiteLLM and warmed up
    procs = [ctx.Process(target=_bare_process, args=(runs // 2, base, start_at, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    return sum(r[2] for r in results) / wall


def start_workers() -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, **WORKER_ENV, "PYTHONPATH": str(ROOT)}
    log = open("/tmp/nyx-bench-p9-workers.log", "ab")  # noqa: SIM115
    return [
        subprocess.Popen([sys.executable, "-m", "nyx_app.cli", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log)
        for _ in range(2)
    ]


async def engine(fake: FakeLLM, runs: int, latency: float) -> tuple[float, float, float]:
    workers = start_workers()
    try:
        while await workers_alive() < 2:
            await asyncio.sleep(0.5)
        fake.script(MODEL, then=respond(flagship(13)))
        warm = await tenants(fake, TENANTS)  # one run per tenant: the workers import and warm up
        await wait_finished(await start_runs(warm))
        made = await tenants(fake, runs)
        t0 = time.perf_counter()
        await wait_finished(await start_runs(made))
        steps_per_s = runs * STEPS_PER_RUN / (time.perf_counter() - t0)

        fake.script(MODEL, then=respond(flagship(13), latency=latency))
        single = await tenants(fake, TENANTS)  # one workflow per tenant; the first one runs alone
        t0 = time.perf_counter()
        await wait_finished(await start_runs(single[:1]))
        alone = time.perf_counter() - t0
        many = await tenants(fake, runs)
        t0 = time.perf_counter()
        await wait_finished(await start_runs(many))
        together = time.perf_counter() - t0
        return steps_per_s, alone, together
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)


async def main(args: argparse.Namespace) -> None:
    fake = FakeLLM().start()
    try:
        print(f"cores: {os.cpu_count()}, database: {get_settings().database_name}, runs: {args.runs}")
        engine_rate, alone, together = await engine(fake, args.runs, args.latency)
        fake.script(MODEL, then=respond(flagship(13)))
        bare_rate = bare_loop(args.runs, fake.anthropic_base)
        print(
            f"P9  {args.runs} concurrent seed-shape runs ({STEPS_PER_RUN} calls each), instant fake model, 2 processes:"
        )
        print(f"      engine (2 workers) {engine_rate:7.1f} steps/s   bare LiteLLM loop {bare_rate:7.1f} calls/s   "
              f"ratio {engine_rate / bare_rate:.2f}   (goal >= 0.6)")  # fmt: skip
        print(f"    {args.runs} runs at once with {args.latency:g} s per call:")
        print(f"      one run alone {alone:6.2f} s   all {args.runs} together {together:6.2f} s   "
              f"ratio {together / alone:.2f}x   (1.00x = no cost for the crowd)")  # fmt: skip
    finally:
        fake.stop()
        await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--latency", type=float, default=1.0)
    parsed = parser.parse_args()
    prepare(get_settings(), recreate=True)  # no runs left queued by an earlier, interrupted try
    asyncio.run(main(parsed))
