"""The page that draws Mermaid diagrams: one per browser, kept warm, shared by every render.

Parsing Mermaid's 5.5 MB bundle costs ~0.9 s per page (RECIPES.md), so it happens once per browser
here, not once per report. The page only ever receives diagram source text and hands back SVG:
it never holds a report, and after every batch its stage is emptied, so nothing of one tenant's
diagrams is left for the next. Mermaid runs with `securityLevel: 'strict'` (its own DOMPurify pass on
labels, no click handlers, and `%%{init}%%` directives cannot change security settings), and the
page itself may load nothing but the bundle, which the renderer serves from disk.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import BrowserContext, Page, Route

from nyx_app.integrations.pdf.template import STYLE, TEXT_FONT

ORIGIN = "https://nyx-pdf.invalid"
PAGE_URL = f"{ORIGIN}/diagrams.html"
SCRIPT_URL = f"{ORIGIN}/mermaid.min.js"

_CSP = f"default-src 'none'; script-src {SCRIPT_URL}; style-src 'unsafe-inline'; img-src data:; font-src data:"
# The stage has the document's styles and a figure like the one the SVG goes into, so HTML labels
# are measured in the same fonts they are printed in.
_PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<style>{STYLE}</style>
<script src="{SCRIPT_URL}"></script>
</head><body><main><figure class="diagram" id="stage"></figure></main></body></html>"""

_INIT = """(font) => {
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: 'strict',
    theme: 'neutral',
    fontFamily: font,
    // Close to the body text (10pt); Mermaid's own 16px looks shouted on paper.
    themeVariables: { fontFamily: font, fontSize: '14px' },
    // With htmlLabels false, Mermaid 12.3 drops a raw '>' from labels (RECIPES.md). Labels wrap
    // at 200px as in Mermaid 11 (12 wraps at 120px: "Vision extraction" took two lines).
    flowchart: { htmlLabels: true, useMaxWidth: true, wrappingWidth: 200 },
    sequence: { useMaxWidth: true },
  });
  return typeof mermaid.render === 'function';
}"""

# Fonts first (labels are measured), then one diagram after another; each answer says ok or why not.
_RENDER = """async (sources) => {
  await document.fonts.ready;
  const stage = document.getElementById('stage');
  const out = [];
  try {
    for (let i = 0; i < sources.length; i++) {
      try {
        const { svg } = await mermaid.render(`nyx-diagram-${i}`, sources[i], stage);
        out.push({ ok: true, svg });
      } catch (e) {
        out.push({ ok: false, error: String((e && e.message) || e) });
      }
      stage.replaceChildren();
    }
  } finally {
    stage.replaceChildren();
    for (const el of document.body.querySelectorAll(':scope > :not(main)')) el.remove();
  }
  return out;
}"""


@dataclass(frozen=True, slots=True)
class Drawn:
    svg: str | None
    error: str | None


class DiagramPage:
    """Mermaid loaded once in a context of its own; one batch of diagrams at a time."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self._context = context
        self._page = page
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, context: BrowserContext, mermaid_js: Path, timeout_ms: float) -> DiagramPage:
        script = mermaid_js.read_bytes()

        async def serve(route: Route) -> None:
            url = route.request.url
            if url == PAGE_URL:
                await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=_PAGE)
            elif url == SCRIPT_URL:
                await route.fulfill(status=200, content_type="text/javascript; charset=utf-8", body=script)
            else:
                await route.abort("blockedbyclient")

        await context.route("**/*", serve)
        page = await context.new_page()
        page.set_default_timeout(timeout_ms)
        await page.goto(PAGE_URL, wait_until="load")
        if not await page.evaluate(_INIT, TEXT_FONT):
            raise RuntimeError("mermaid did not load")
        return cls(context, page)

    async def draw(self, sources: list[str]) -> list[Drawn]:
        # Mermaid keeps one temporary element per render on the page: batches must not interleave.
        async with self._lock:
            answers = await self._page.evaluate(_RENDER, sources)
        return [Drawn(a.get("svg"), a.get("error")) for a in answers]

    def is_usable(self) -> bool:
        return not self._page.is_closed()

    async def close(self) -> None:
        await self._context.close()
