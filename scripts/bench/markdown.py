"""Benchmark: render a 145,000-character report (code, wide tables, Mermaid, links, images) to safe HTML.

    PYTHONPATH=. .venv/bin/python scripts/bench/markdown.py

Goal: well under a second on a 2-core machine (it runs inside event handlers and the PDF export).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from nyx_app.integrations.markdown import render

TARGET_CHARS = 145_000


def section(i: int) -> str:
    rows = "\n".join(f"| row {r} | `value_{r}` | **{r * i}** | [link](https://example.test/{r}) |" for r in range(12))
    return f"""## Section {i}: findings

The *login* flow ~~was~~ is fine; see [the docs](https://example.test/docs/{i}) and <https://example.test/a/{i}>.
![screen](/api/images/0f8fad5b-d9cb-469f-a165-70867728950e) ![remote](https://tracker.test/{i}.png)

> A quoted remark with `inline code` and an <b>attempt</b> at raw HTML.

1. first step
2. second step
   - nested point
   - another one

| Area | Key | Score | Link |
|:-----|:---:|------:|------|
{rows}

```python
def handler_{i}(event):
    return {{"ok": True, "n": {i}}}
```

```mermaid
graph TD; A{i}-->B{i}
```

"""


def report() -> str:
    parts: list[str] = ["# Report\n\n"]
    i = 0
    while sum(map(len, parts)) < TARGET_CHARS:
        parts.append(section(i))
        i += 1
    return "".join(parts)[:TARGET_CHARS]


def main() -> None:
    text = report()
    render(text)  # warm-up
    wall, cpu = [], []
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        html = render(text)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"{len(text):,} characters of Markdown -> {len(html):,} characters of HTML")
    print(f"render: median {statistics.median(wall) * 1000:.0f} ms wall, max {max(wall) * 1000:.0f} ms (5 runs)")
    # CPU time says what the renderer costs when other processes share the cores.
    print(f"        median {statistics.median(cpu) * 1000:.0f} ms of CPU")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
