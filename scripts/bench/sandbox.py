"""What the sandbox for user-written computation costs (services/workflows/sandbox.py).

    PYTHONPATH=. .venv/bin/python scripts/bench/sandbox.py [--rounds 500]

Prints, per call (median and p95): a plain template rendered in-process (the engine's usual
prompt, e.g. the P1 chain's "next: {{steps.s1.output}}"), a template with a loop rendered in a
sandbox process, an answer checked against a user's schema in a sandbox process, and how long
each entry of the hostile corpus takes to be stopped, with the largest stall of this process's
event loop meanwhile (a ticker every 5 ms). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from nyx_app.services.workflows import sandbox, templates
from nyx_app.services.workflows.definition import OutputFormat
from nyx_app.services.workflows.templates import Record, step_values

VARS = {
    "steps": Record({"s1": step_values("answer " * 500, None), "list": step_values("", [{"t": i} for i in range(20)])}),
    "project": Record({"name": "Bench", "description": "d"}),
    "notes": "note text " * 2000,
    "memory": "",
}
HOSTILE = {
    "nested loops 16000²": "{% for i in range(16000) %}{% for j in range(16000) %}{% endfor %}{% endfor %}",
    "doubly recursive macro": "{% macro m(n) %}{% if n < 60 %}{{ m(n+1) }}{{ m(n+1) }}{% endif %}{% endmacro %}"
    "{{ m(0) }}",
    "replace amplification": '{{ "abc"|replace("", "x" * 1000000) }}',
    "format width 3e8": '{{ "{0:>300000000}".format(1) }}',
    "doubling by ~ (memory)": "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% endif %}{% endmacro %}"
    '{{ d("x", 40) }}',
}
SCHEMA = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}, "required": ["a"]}


async def timed(fn: Callable[[], Awaitable[object]], rounds: int) -> tuple[float, float]:
    await fn()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


async def main(rounds: int) -> None:
    plain = "next: {{ steps.s1.output }}"
    looping = "{% for p in steps.list.items %}- {{ p.t }}\n{% endfor %}"
    check = sandbox.json_validator(OutputFormat.JSON_OBJECT, SCHEMA)
    assert check is not None and templates.is_plain(plain) and not templates.is_plain(looping)

    async def render_plain() -> object:
        return await sandbox.render(plain, VARS)

    async def render_loop() -> object:
        return await sandbox.render(looping, VARS)

    async def check_answer() -> object:
        return await check('{"a": "aaaa"}')

    print(f"cores: {len(__import__('os').sched_getaffinity(0))}")
    for label, fn in (
        ("plain template, in-process", render_plain),
        ("looping template, sandbox process", render_loop),
        ("answer vs schema, sandbox process", check_answer),
    ):
        median, p95 = await timed(fn, rounds)
        print(f"  {label:38s} median {median:7.3f} ms   p95 {p95:7.3f} ms")

    print("hostile corpus (each stopped in words; worst event-loop stall of this process meanwhile):")
    for name, source in HOSTILE.items():
        stall, stop = 0.0, asyncio.Event()

        async def ticker(stop: asyncio.Event) -> None:
            nonlocal stall
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                stall, last = max(stall, now - last - 0.005), now

        task = asyncio.create_task(ticker(stop))
        started = time.perf_counter()
        try:
            await sandbox.render(source, VARS)
            outcome = "RENDERED (unexpected)"
        except templates.TemplateProblem as problem:
            outcome = str(problem)[:70]
        took = time.perf_counter() - started
        stop.set()
        await task
        print(f"  {name:26s} {took:5.2f} s  stall {stall * 1000:6.1f} ms  {outcome}")
    sandbox.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=500)
    asyncio.run(main(parser.parse_args().rounds))
