"""Benchmark: server-side code highlighting against hostile input, per language the renderer allows.

    PYTHONPATH=. .venv/bin/python scripts/bench/highlight.py [characters per block, default 20000]

For every language in `code_highlight.LANGUAGES` and every hostile block (punctuation soup, deep
nesting, runs of one character that lexers treat specially ...), prints the CPU time Pygments
needs for a block (cut at BLOCK_LIMIT) and the longest single step between two tokens. The
renderer's budget (`BUDGET_SECONDS`) is checked between tokens, so the longest step is what it can
overrun by: a language whose step comes near the budget does not belong in `LANGUAGES`. Also
prints the lexing time of the 145,000-character flagship report's code, which the budget must cover.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import string
import sys
import time
from pathlib import Path
from queue import Empty

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pygments.lexers import get_lexer_by_name

from nyx_app.integrations import code_highlight
from tests.fakes.reports import flagship_report


def hostile(n: int) -> dict[str, str]:
    rng = random.Random(1)
    soup = "".join(rng.choice(string.punctuation + " \n") for _ in range(n))

    def run(unit: str) -> str:
        return (unit * (n // len(unit) + 1))[:n]

    return {
        "punctuation": soup,
        "escaped quotes": run('"' + "a\\" * 50 + "\n"),
        "escaped single quotes": run("'" + "a\\" * 50 + "\n"),
        "nesting": "(" * (n // 2) + ")" * (n // 2),
        "mixed nesting": run("{[") + run("]}"),
        "spaces": "a" + " " * (n - 2) + "b",
        "code-like": run("foo bar_baz 123 0x1f \"str\" 'c' // c /* c */ # h\n"),
        **{f"run of {u!r}": run(u) for u in ("<", "\\", "${", "/*", "#", "<a ", "`", "<<EOF\n", "1.", ":", "= ", "'")},
    }


BLOCK_LIMIT = 3.0  # CPU seconds a block may lex here before the bench moves on (the app stops far sooner)
STEP_LIMIT = 60.0  # a single step still running after this is reported as runaway


def _lex_all(alias: str, n: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """In a child process (a runaway regular expression cannot be stopped any other way): per
    block, its CPU time (up to BLOCK_LIMIT) and the longest single step between two tokens. CPU
    time of this thread, so that other work on the machine does not count."""
    lexer = get_lexer_by_name(alias, stripnl=False, ensurenl=False)
    for name, text in hostile(n).items():
        start = last = time.thread_time()
        step = 0.0
        for _ in lexer.get_tokens(text):
            now = time.thread_time()
            step = max(step, now - last)
            last = now
            if now - start > BLOCK_LIMIT:
                break
        out.put((name, time.thread_time() - start, step))
    out.put(None)


def vet(alias: str, n: int) -> tuple[float, float, str]:
    """(worst block s, longest step s, worst input); a step that never ends is reported as
    STEP_LIMIT."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    child = multiprocessing.Process(target=_lex_all, args=(alias, n, queue), daemon=True)
    child.start()
    worst, step, which = 0.0, 0.0, ""
    names = iter(hostile(n))
    while True:
        try:
            got = queue.get(timeout=STEP_LIMIT)
        except Empty:
            child.kill()
            return STEP_LIMIT, STEP_LIMIT, f"{next(names, '?')} (runaway step, stopped)"
        if got is None:
            break
        name, took, longest = got
        next(names, None)
        if longest > step:
            step, which = longest, name
        worst = max(worst, took)
    child.join()
    return worst, step, which


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else code_highlight.MAX_BLOCK_CHARS
    print(f"{len(code_highlight.LANGUAGES)} names, {len(hostile(n))} hostile blocks of {n:,} characters each")
    print(f"CPU time; a block is cut at {BLOCK_LIMIT:.0f} s (the app's budget stops it at the first check after")
    print(f"{code_highlight.BUDGET_SECONDS * 1000:.0f} ms); what matters is the longest step, which no check can cut")
    print(f"{'language':<14} {'worst block s':>13} {'longest step ms':>16}  its input")
    seen: set[str] = set()
    rows = []
    for alias in sorted(code_highlight.LANGUAGES):
        lexer = get_lexer_by_name(alias)
        if lexer.name in seen:
            continue
        seen.add(lexer.name)
        worst, step, which = vet(alias, n)
        rows.append((step, alias))
        print(f"{alias:<14} {worst:>13.3f} {step * 1000:>16.1f}  {which}", flush=True)
    step, alias = max(rows)
    print(f"longest step of all: {step * 1000:.1f} ms ({alias}); budget {code_highlight.BUDGET_SECONDS * 1000:.0f} ms")

    report = flagship_report()
    budget = code_highlight.Budget(seconds=60)
    start = time.thread_time()
    for match in re.finditer(r"```(\w+)\n(.*?)```", report, re.DOTALL):
        code_highlight.highlight_code(match.group(2), match.group(1), budget)
    print(f"flagship report ({len(report):,} characters): its code lexed in {time.thread_time() - start:.3f} s CPU")


if __name__ == "__main__":
    main()
