"""R2 takeover: how soon a run moves on when the worker executing it dies or freezes.

    PYTHONPATH=. .venv/bin/python scripts/bench/takeover.py [--tries 10] [--items 13]

Each try: worker A (``python -m nyx_app.cli worker``, the default settings) executes a run of the
seed's shape (a list → one plan per item, side by side → a final prompt) and holds all its plan
calls in flight; worker B is up and idle. Then A gets SIGKILL, or SIGSTOP. Measured: the time from
that signal to the fake LLM's first request of the run's next call (B asking the plans again),
and to the run's end. After a SIGSTOP try, A is woken (SIGCONT) once B has finished: it must ask
nothing more. Printed per signal: p50/p95 of both times, and the request counts of the two cases
(they must be equal: the list, A's plans, B's plans, the final prompt), with how many of A's
answers found it still connected (a frozen worker's socket stays open; a killed one's does not).

Uses its own database (nyx_bench_takeover) on the embedded server. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench_takeover")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("NYX_LLM_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("NYX_FILES_DIR", "/tmp/nyx-bench-files")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text

from nyx_app.db.bootstrap import prepare
from nyx_app.db.engine import dispose_engines
from nyx_app.db.session import transaction
from nyx_app.models.run import Run, RunStatus
from nyx_app.services import auth, notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.llm import credentials
from nyx_app.services.runs import control
from nyx_app.services.workflows import store
from nyx_app.settings import get_settings
from tests.fakes.llm_server import FakeLLM, respond

MODEL = "claude-sonnet-4-6"
ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "test-artifacts"


def shape(items: int) -> dict:
    return {
        "steps": [
            {"key": "points", "prompt": "List", "output": "json_list"},
            {"key": "plan", "prompt": "Plan {{item}}", "for_each": "points"},
            {"key": "final", "prompt": "Sum up {{steps.plan.output}}"},
        ]
    }


class Worker:
    def __init__(self, name: str) -> None:
        LOGS.mkdir(exist_ok=True)
        self.log = LOGS / f"takeover-{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nyx_app.cli", "worker"],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def gone(self, sig: int) -> None:
        """Wait until the signal took effect: the process reaped, or in the stopped state."""
        if sig == signal.SIGKILL:
            self.proc.wait(10)
            return
        stat = Path(f"/proc/{self.proc.pid}/stat")
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
            time.sleep(0.001)

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)


async def worker_ids() -> set[int]:
    async with transaction() as s:
        return set((await s.execute(text("SELECT id FROM procrastinate_workers"))).scalars())


async def started(before: set[int], name: str) -> tuple[Worker, set[int]]:
    """A worker, once it has registered (after its LiteLLM warm-up: ready to take jobs)."""
    worker = Worker(name)
    while not (await worker_ids()) - before:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"worker {name} exited: {worker.log.read_text()[-2000:]}")
        await asyncio.sleep(0.1)
    return worker, await worker_ids()


async def workspace(fake: FakeLLM) -> tuple[TenantContext, uuid.UUID]:
    stamp = time.time_ns()
    token = await auth.register(f"takeover{stamp}@example.com", "violet-harbor-kite-91", "Bench", f"Takeover {stamp}")
    ident = await auth.resolve(token)
    assert ident is not None
    ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
    async with transaction(ctx.tenant_id, ctx.user_id) as s:
        await credentials.save_key(s, ctx, "anthropic", "sk-bench-000000", fake.anthropic_base)
        project = await projects.create_project(s, ctx, f"Takeover {stamp}", "Benchmarking takeovers")
        await notes.create_note(s, ctx, project.id, "Login page", "The login page needs work.")
    return ctx, project.id


async def one_try(fake: FakeLLM, ctx: TenantContext, project_id: uuid.UUID, items: int, sig: int, n: int) -> dict:
    gone, lock, plans = threading.Event(), threading.Lock(), [0]

    def model(prompt: str) -> str:
        if prompt == "List":
            return json.dumps([f"item {i}" for i in range(1, items + 1)])
        if prompt.startswith("Plan"):
            with lock:
                plans[0] += 1
                first_worker = plans[0] <= items
            if first_worker:
                gone.wait(600)  # A's plans are answered only once A is dead or frozen
        return f"done: {prompt[:30]}"

    fake.reset()
    fake.script(MODEL, then=respond(model))
    a, seen = await started(await worker_ids(), f"{n}-a")
    b = None
    try:
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            wf = await store.create_workflow(s, ctx, project_id, name=f"takeover {time.time_ns()}")
            await store.save_workflow(s, ctx, wf.id, name=wf.name, description="", definition=shape(items))
            run_id = (await control.start_workflow_run(s, ctx, wf.id)).id
        while fake.calls() < 1:  # A has the job (it asked for the list) before B exists
            await asyncio.sleep(0.05)
        b, _ = await started(seen, f"{n}-b")
        while fake.calls() < 1 + items:  # the list, then every plan in flight at A
            await asyncio.sleep(0.05)
        died = time.time()
        a.signal(sig)
        a.gone(sig)  # dead (its sockets closed), or stopped: only then do its answers come
        gone.set()
        while True:
            async with transaction(ctx.tenant_id) as s:
                run = await s.get(Run, run_id)
                assert run is not None
            if RunStatus(run.status).finished:
                break
            await asyncio.sleep(0.05)
        finished = time.time()
        taken = await taken_over_at(str(run_id))  # before the sweep forgets the ended job
        if sig == signal.SIGSTOP:
            a.signal(signal.SIGCONT)
            deadline = time.monotonic() + 60
            while "is no longer held by this worker" not in a.log.read_text(errors="replace"):
                assert time.monotonic() < deadline, "the woken worker did not notice it lost its run"
                await asyncio.sleep(0.1)
            await asyncio.sleep(2)  # whatever it would still ask, it would by now
        first_after = min(r.at for r in fake.requests if r.at > died)
        a_answers = fake.requests[1 : 1 + items]
        return {
            "status": run.status,
            "detected_s": taken - died,
            "resumed_s": first_after - taken,
            "takeover_s": first_after - died,
            "finished_s": finished - died,
            "requests": fake.calls(),
            "a_connected": sum(bool(r.client_connected) for r in a_answers),
        }
    finally:
        a.end()
        if b is not None:
            b.end()


async def taken_over_at(run_id: str) -> float:
    """When the sweep ended the dead worker's job (and gave the run a new one, in that transaction)."""
    async with transaction() as s:
        at = await s.execute(
            text(
                "SELECT extract(epoch FROM min(e.at)) FROM procrastinate_events e "
                "JOIN procrastinate_jobs j ON j.id = e.job_id WHERE e.type = 'aborted' AND j.args->>'run_id' = :r"
            ),
            {"r": run_id},
        )
        return float(at.scalar_one() or 0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> None:
    fake = FakeLLM().start()
    try:
        ctx, project_id = await workspace(fake)
        settings = get_settings()
        print(
            f"cores: {os.cpu_count()}, database: {settings.database_name}; worker heartbeat "
            f"{settings.worker_heartbeat_seconds:g} s, stalled after {settings.worker_stalled_seconds:g} s, "
            f"sweep every {settings.run_sweep_seconds:g} s; {args.items} plans in flight"
        )
        results: dict[str, list[dict]] = {}
        for name, sig in ((name, getattr(signal, name)) for name in args.signals):
            results[name] = []
            for n in range(args.tries):
                outcome = await one_try(fake, ctx, project_id, args.items, sig, n)
                results[name].append(outcome)
                print(
                    f"  {name} try {n + 1}: taken over after {outcome['detected_s']:.2f} s, next call "
                    f"{outcome['resumed_s']:.2f} s later ({outcome['takeover_s']:.2f} s after the signal), "
                    f"run {outcome['status']} "
                    f"after {outcome['finished_s']:.2f} s, {outcome['requests']} requests, "
                    f"{outcome['a_connected']} of A's answers to a connected client",
                    flush=True,
                )
        expected = 2 + 2 * args.items
        print(f"R2  takeover, {args.tries} tries per signal (goal: p95 <= 10 s):")
        for name, outcomes in results.items():
            takeover = [o["takeover_s"] for o in outcomes]
            detected = [o["detected_s"] for o in outcomes]
            resumed = [o["resumed_s"] for o in outcomes]
            finished = [o["finished_s"] for o in outcomes]
            counts = sorted({o["requests"] for o in outcomes})
            print(
                f"      {name}: death → next call p50 {pct(takeover, 0.5):.2f} s  p95 {pct(takeover, 0.95):.2f} s   "
                f"death → run finished p50 {pct(finished, 0.5):.2f} s  p95 {pct(finished, 0.95):.2f} s"
            )
            print(
                f"               of which death → takeover (a new job) p50 {pct(detected, 0.5):.2f} s, "
                f"takeover → next call p50 {pct(resumed, 0.5):.2f} s  p95 {pct(resumed, 0.95):.2f} s"
            )
            print(
                f"               requests per run {counts} (expected {expected}); A's answers to a connected client: "
                f"{statistics.mean(o['a_connected'] for o in outcomes):.1f} of {args.items}; "
                f"runs succeeded {sum(o['status'] == 'succeeded' for o in outcomes)}/{len(outcomes)}"
            )
    finally:
        fake.stop()
        await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--items", type=int, default=13)
    parser.add_argument("--signals", nargs="+", choices=["SIGKILL", "SIGSTOP"], default=["SIGKILL", "SIGSTOP"])
    parsed = parser.parse_args()
    prepare(get_settings())
    asyncio.run(main(parsed))
