"""What the global provider limit (services/engine/limits.py) costs per LLM call.

    PYTHONPATH=. .venv/bin/python scripts/bench/provider_slots.py [--calls 400] [--callers 16]

One tenant in its own database (nyx_bench_slots). Prints, per call with an instant body:
- the gate the engine uses (``provider_gate``: the process's semaphore, then a slot taken and
  given back around every call: two transactions under an advisory lock of the pair);
- for scale, two empty transactions;
callers one after the other, then ``--callers`` at once (limit 16: the rest queue in the process).
The P9 bench (scale_p9.py) gives the engine's cost per step to compare with. Figures are printed,
not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("NYX_DATABASE_NAME", "nyx_bench_slots")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from nyx_app.db.bootstrap import prepare  # noqa: E402
from nyx_app.db.engine import dispose_engines  # noqa: E402
from nyx_app.db.session import transaction  # noqa: E402
from nyx_app.services import auth  # noqa: E402
from nyx_app.services.engine import limits  # noqa: E402
from nyx_app.settings import get_settings  # noqa: E402


async def _tenant() -> object:
    stamp = time.time_ns()
    token = await auth.register(f"slots-{stamp}@example.com", "violet-harbor-kite-91", "Slots", f"Slots {stamp}")
    ident = await auth.resolve(token)
    assert ident is not None
    return ident.tenant_id


async def _per_call(calls: int, callers: int, body: object) -> float:
    """Milliseconds per call of ``body`` (an async function), ``callers`` at once."""
    left = calls

    async def caller() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await body()  # type: ignore[operator]

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return (time.perf_counter() - started) * 1000 / calls


async def main(args: argparse.Namespace) -> None:
    tenant_id = await _tenant()
    gate = limits.provider_gate(tenant_id)  # type: ignore[arg-type]

    async def gated() -> None:
        async with gate("anthropic"):
            pass

    async def two_transactions() -> None:
        for _ in range(2):
            async with transaction(tenant_id) as s:  # type: ignore[arg-type]
                await s.exec(text("SELECT 1"))  # type: ignore[call-overload]

    await _per_call(20, 1, gated)  # warm the pool
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f}, limit {get_settings().llm_provider_concurrency}")
    for callers in (1, args.callers):
        gate_ms = await _per_call(args.calls, callers, gated)
        bare = await _per_call(args.calls, callers, two_transactions)
        print(f"  {callers:3d} caller(s): provider gate {gate_ms:6.2f} ms/call ({1000 / gate_ms:6.1f} calls/s)   "
              f"two empty transactions {bare:6.2f} ms")  # fmt: skip
    print(f"load after: {os.getloadavg()[0]:.2f}")
    await dispose_engines()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--callers", type=int, default=16)
    parsed = parser.parse_args()
    prepare(get_settings(), recreate=True)
    asyncio.run(main(parsed))
