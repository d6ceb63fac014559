"""The page that draws Mermaid diagrams: one per browser, kept warm, shared by every render.

Parsing Mermaid's 5.5 MB bundle costs ~0.9 s per page (RECIPES.md), so it happens once per browser
here, not once per report. The page only ever receives diagram source text and hands back SVG:
it never holds a report, and every batch removes what it drew, so nothing of one tenant's diagrams
is left for the next. Each source goes through the app's diagram rules
(`integrations/diagram_policy.js`, the same the viewer runs): cleaned before Mermaid sees it
(no settings, no click actions or links, no images or styles that load), drawn with
`securityLevel: 'strict'` and text labels, and its SVG rebuilt from the allowlist before it leaves
the page. The page itself may load nothing but its own two files. Page, rules and bundle are
`file:` URLs, so Chromium reads the 5.5 MB from disk itself (served through Playwright it took
~1 s longer on a cold start).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import BrowserContext, Page, Route

from nyx_app.integrations.diagram_policy import policy_js
from nyx_app.integrations.pdf.template import STYLE, TEXT_FONT

# The page has the document's styles and draws into a figure like the one the SVG goes into, so
# labels are measured in the same fonts they are printed in.
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; script-src file:; style-src 'unsafe-inline'; img-src data:; font-src data:">
<style>{style}</style>
<script src="{policy}"></script>
<script src="{script}"></script>
</head><body><main></main></body></html>"""

_INIT = """(font) => {
  // Close to the body text (10pt); Mermaid's own 16px looks shouted on paper.
  const extra = { fontFamily: font, themeVariables: { fontFamily: font, fontSize: '14px' } };
  mermaid.initialize(nyxDiagramPolicy.mermaidConfig(extra));
  return typeof mermaid.render === 'function';
}"""

# Fonts first (labels are measured), then one diagram after another; each answer is the checked
# SVG (with what was left out of it) or why it could not be drawn. Every batch draws on a stage of
# its own and removes it, with anything Mermaid left behind (it keeps a temporary element when a
# diagram fails), so batches can neither meet nor leave a trace.
_RENDER = """async (sources) => {
  await document.fonts.ready;
  const policy = nyxDiagramPolicy;
  const batch = Math.random().toString(36).slice(2, 10);
  const stage = document.createElement('figure');
  stage.className = 'diagram';
  document.querySelector('main').append(stage);
  const out = [];
  try {
    for (let i = 0; i < sources.length; i++) {
      const id = `nyx-${batch}-${i}`;
      const cleaned = policy.cleanSource(sources[i]);
      if (cleaned.refused) {
        out.push({ svg: null, error: cleaned.refused, removed: [] });
        continue;
      }
      try {
        const { svg } = await mermaid.render(id, cleaned.text, stage);
        const checked = policy.sanitizeSvg(svg, id);
        out.push(checked
          ? { svg: checked.outerHTML, error: null, removed: cleaned.removed }
          : { svg: null, error: 'Mermaid gave no drawing', removed: [] });
      } catch (e) {
        out.push({ svg: null, error: policy.explain(sources[i], e), removed: [] });
      } finally {
        for (const left of [id, `d${id}`, `i${id}`]) document.getElementById(left)?.remove();
      }
    }
  } finally {
    stage.remove();
  }
  return out;
}"""


@dataclass(frozen=True, slots=True)
class Drawn:
    """A checked SVG and what the rules left out of it, or (svg None) why it could not be drawn."""

    svg: str | None
    error: str | None
    removed: tuple[str, ...] = ()


class DiagramPage:
    """Mermaid loaded once in a context of its own. Mermaid queues its renders itself, so batches
    from renders running at once may arrive together."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self._context = context
        self._page = page

    @classmethod
    async def open(cls, context: BrowserContext, mermaid_js: Path, timeout_ms: float) -> DiagramPage:
        folder = Path(tempfile.mkdtemp(prefix="nyx-pdf-"))
        try:
            html = folder / "diagrams.html"
            rules = folder / "diagram_policy.js"
            rules.write_text(policy_js(), encoding="utf-8")
            script = mermaid_js.resolve().as_uri()
            html.write_text(_PAGE.format(style=STYLE, policy=rules.as_uri(), script=script), encoding="utf-8")
            allowed = {html.as_uri(), rules.as_uri(), script}

            async def only_our_files(route: Route) -> None:
                if route.request.url in allowed:
                    await route.continue_()
                else:
                    await route.abort("blockedbyclient")

            await context.route("**/*", only_our_files)
            page = await context.new_page()
            page.set_default_timeout(timeout_ms)
            await page.goto(html.as_uri(), wait_until="load")
        finally:
            # Loaded: the page keeps what it needs in memory.
            shutil.rmtree(folder, ignore_errors=True)
        if not await page.evaluate(_INIT, TEXT_FONT):
            raise RuntimeError("mermaid did not load")
        return cls(context, page)

    async def draw(self, sources: list[str]) -> list[Drawn]:
        answers = await self._page.evaluate(_RENDER, sources)
        return [Drawn(a.get("svg"), a.get("error"), tuple(a.get("removed") or ())) for a in answers]

    def is_usable(self) -> bool:
        return not self._page.is_closed()

    async def close(self) -> None:
        await self._context.close()
