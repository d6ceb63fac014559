"""Benchmark: what a diagram costs the browser that draws it (the reader's, or the PDF renderer's).

    PYTHONPATH=. .venv/bin/python scripts/bench/diagrams.py

In Chromium with Mermaid 12.3 and the app's diagram rules, for flowcharts of growing size up to the
rules' limit: the time Mermaid takes to lay one out, the time the rules take to check its SVG, and
the time to put a copy of the checked drawing into the page, and the SVG's size. Layout and the
check are paid once per new source; a page update that brings back a diagram the viewer has drawn
before costs only the copy. Median of 5.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import sync_playwright

from nyx_app.integrations.diagram_policy import POLICY_JS
from nyx_app.integrations.pdf.renderer import CHROMIUM_ARGS
from nyx_app.settings import get_settings

TIMED = """async ([source, runs]) => {
  const policy = nyxDiagramPolicy;
  const layout = [], check = [], copy = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const id = `bench-${Math.random().toString(36).slice(2)}`;
    const cleaned = policy.cleanSource(source);
    let t = performance.now();
    const { svg } = await mermaid.render(id, cleaned.text);
    layout.push(performance.now() - t);
    t = performance.now();
    const el = policy.sanitizeSvg(svg, id);
    check.push(performance.now() - t);
    t = performance.now();
    document.body.append(document.importNode(el, true));
    copy.push(performance.now() - t);
    document.body.lastElementChild.remove();
    size = el.outerHTML.length;
  }
  return { layout, check, copy, size };
}"""


def flowchart(edges: int) -> str:
    hub = max(1, edges // 3)
    lines = [f"  N{i % hub}[Step {i % hub} > check] --> N{i + 1}[Step {i + 1}]" for i in range(edges)]
    return "\n".join(["graph TD", *lines])


def main() -> None:
    settings = get_settings()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as pw:
        html = Path(folder) / "bench.html"
        scripts = "".join(
            f'<script src="{p.resolve().as_uri()}"></script>' for p in (settings.pdf_mermaid_js, POLICY_JS)
        )
        html.write_text(f'<!doctype html><html><head><meta charset="utf-8">{scripts}</head><body></body></html>')
        browser = pw.chromium.launch(executable_path=str(settings.pdf_chromium_path), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(html.as_uri())
        page.evaluate("() => mermaid.initialize(nyxDiagramPolicy.mermaidConfig())")
        page.evaluate(TIMED, [flowchart(5), 2])  # warm up
        print(f"{'edges':>6} {'chars':>7} {'layout ms':>10} {'check ms':>9} {'copy ms':>8} {'svg KB':>7}")
        for edges in (5, 25, 100, 200):
            source = flowchart(edges)
            result = page.evaluate(TIMED, [source, 5])
            print(
                f"{edges:>6} {len(source):>7} {statistics.median(result['layout']):>10.1f} "
                f"{statistics.median(result['check']):>9.1f} {statistics.median(result['copy']):>8.1f} "
                f"{result['size'] / 1024:>7.1f}"
            )
        browser.close()


if __name__ == "__main__":
    main()
