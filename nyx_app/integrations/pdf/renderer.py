"""Report HTML to PDF with Playwright driving Debian's Chromium.

One browser per process, launched on first use and again if it died; `close()` ends it at shutdown.
Each render gets a **new browser context and page**, closed afterwards, so cookies, storage, cache
and DOM of one tenant's report never meet the next. Mermaid's bundle, too slow to parse per render,
lives in a separate warm page that only ever sees diagram source (`diagrams.py`).

Event loop: every call here is awaited I/O to the Playwright driver; the work itself (layout,
drawing, PDF) is done by Chromium's processes, which run at a lower priority (`pdf_chromium_nice`)
so the app's own process keeps the CPU. At most `pdf_max_concurrent_renders` renders run at once
per process; further callers wait their turn. Objects are bound to the event loop of the first
render: use one renderer per loop (the app has one).

Failures come out as `PdfFailed`, whose message is written for the user; the cause is logged once.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import psutil
from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from prometheus_client import Histogram

from nyx_app.integrations.diagram_policy import policy_js
from nyx_app.integrations.pdf import template
from nyx_app.integrations.pdf.diagrams import DiagramPage, Drawn
from nyx_app.integrations.pdf.template import PdfHeader
from nyx_app.settings import Settings, get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# As in tests/e2e/conftest.py: without the background-networking flags Chromium keeps dialling
# out, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
MERMAID_BLOCKS = "pre > code.language-mermaid"
_ERROR_SHOWN_MAX = 240
# How markdown-it (and nh3 after it) writes a fenced mermaid block; only used to start drawing early.
_MERMAID_HTML = re.compile(r'<pre><code class="language-mermaid">(.*?)</code></pre>', re.DOTALL)

# Runs in the document page after the diagrams are drawn (through the DevTools protocol: the page's
# own policy allows no script). Each drawing is checked again by the diagram rules and put in place
# of its code block as nodes (never parsed as HTML into the page); a diagram that could not be drawn
# keeps its code, with the reason below it. An image that did not load (all outside images are
# refused) becomes its alt text instead of a broken-image icon; code is split into one block per
# line so a long line wraps indented under its own start, keeping its spaces.
_PREPARE_PAGE = """async (drawn) => {
  const blocks = document.querySelectorAll('pre > code.language-mermaid');
  let placed = 0;
  blocks.forEach((code, i) => {
    const answer = drawn[i];
    const pre = code.parentElement;
    const svg = answer && answer.svg ? nyxDiagramPolicy.sanitizeSvg(answer.svg, `nyx-figure-${i}`) : null;
    if (svg) {
      const figure = document.createElement('figure');
      figure.className = 'diagram';
      figure.append(document.importNode(svg, true));
      if (answer.removed.length) {
        const caption = document.createElement('figcaption');
        caption.textContent = `Left out of this drawing: ${answer.removed.join(', ')}.`;
        figure.append(caption);
      }
      pre.replaceWith(figure);
    } else {
      const note = document.createElement('p');
      note.className = 'diagram-error';
      const reason = (answer && answer.error) || 'Mermaid gave no drawing';
      note.textContent = `This diagram could not be drawn: ${reason}. Its code is shown instead.`;
      pre.after(note);
    }
    placed++;
  });
  // The renderer marks images loading="lazy": on paper every one is wanted, and one below the first
  // screen would not have loaded yet (it printed as "[image: …]"). Load them all, then look.
  const images = [...document.querySelectorAll('main img')];
  await Promise.all(images.map((img) => { img.loading = 'eager'; return img.decode().catch(() => null); }));
  for (const img of images) {
    if (img.naturalWidth > 0) continue;
    const alt = document.createElement('span');
    alt.className = 'missing-image';
    alt.textContent = img.alt ? `[image: ${img.alt}]` : '[image]';
    img.replaceWith(alt);
  }
  for (const code of document.querySelectorAll('pre > code')) {
    if (code.children.length) continue;
    const lines = code.textContent.replace(/\\n$/, '').split('\\n');
    code.replaceChildren(...lines.map((text) => {
      const line = document.createElement('span');
      const lead = text.match(/^[ \\t]*/)[0].replace(/\\t/g, '    ').length + 4;
      line.className = 'line';
      line.style.paddingLeft = `${lead}ch`;
      line.style.textIndent = `-${lead}ch`;
      line.textContent = text;
      return line;
    }));
  }
  await document.fonts.ready;
  return placed;
}"""
# Said in the PDF when Mermaid cannot be used at all (the cause goes to the log, not to readers).
_NO_RENDERER = "the app's diagram renderer is not available"
# Diagrams are laid out by the one warm diagram page every render shares: a report draws at most
# this many (each is also limited in size by the diagram rules); the rest are printed as code.
MAX_DIAGRAMS = 40


class PdfFailed(RuntimeError):
    """The PDF could not be made; the message says why, in words for the user."""


class PdfRenderer:
    def __init__(
        self,
        *,
        chromium_path: Path,
        mermaid_js: Path,
        max_concurrent: int = 2,
        timeout_seconds: float = 90.0,
        chromium_nice: int = 10,
    ) -> None:
        self.chromium_path = chromium_path
        self.mermaid_js = mermaid_js
        self.timeout_seconds = timeout_seconds
        self.chromium_nice = chromium_nice
        self._slots = asyncio.Semaphore(max_concurrent)
        self._launch_lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._diagrams: asyncio.Task[DiagramPage] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PdfRenderer:
        return cls(
            chromium_path=settings.pdf_chromium_path,
            mermaid_js=settings.pdf_mermaid_js,
            max_concurrent=settings.pdf_max_concurrent_renders,
            timeout_seconds=settings.pdf_render_timeout_seconds,
            chromium_nice=settings.pdf_chromium_nice,
        )

    async def render(self, html_body: str, *, title: str, header: PdfHeader, qr_url: str) -> bytes:
        """A4 PDF of `html_body` (HTML already made safe by the app's Markdown renderer)."""
        document = template.document(html_body, title=title, header=header, qr_url=qr_url)
        async with self._slots:
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    return await self._render(document, header)
            except PdfFailed:
                raise
            except (TimeoutError, PlaywrightTimeout):
                log.warning("PDF render timed out after %ss", self.timeout_seconds, exc_info=True)
                raise PdfFailed(
                    f"The PDF took longer than {self.timeout_seconds:.0f} seconds to render and was stopped."
                ) from None
            except PlaywrightError:
                log.warning("PDF render failed", exc_info=True)
                raise PdfFailed("The PDF renderer stopped unexpectedly; try again.") from None

    async def close(self) -> None:
        """End the browser (at shutdown). A later render launches a new one."""
        async with self._launch_lock:
            browser, pw, diagrams = self._browser, self._playwright, self._diagrams
            self._browser = self._playwright = self._diagrams = None
            if diagrams is not None:
                diagrams.cancel()
            for step in (browser.close if browser else None, pw.stop if pw else None):
                if step is not None:
                    try:
                        await step()
                    except PlaywrightError:
                        log.warning("closing the PDF browser failed", exc_info=True)

    async def _render(self, document: str, header: PdfHeader) -> bytes:
        context = await self._new_context()
        # Diagrams are drawn (and on a cold start Mermaid loaded) while the document page fills.
        # The sources are read from the HTML here only to start early; the page's DOM decides.
        early = _mermaid_sources(document)[:MAX_DIAGRAMS]
        drawing = _background(self._draw(early)) if early else None
        try:
            # Nothing from outside: a remote image in a report neither waits on a host nor tells it
            # that the report was opened. The page's own CSP already stops such requests.
            await context.route("**/*", _refuse)
            page = await context.new_page()
            page.set_default_timeout(self.timeout_seconds * 1000)
            self._lower_priority()
            await page.set_content(document, wait_until="load")
            await self._prepare_page(page, early, drawing)
            return await page.pdf(
                format="A4",
                print_background=True,
                margin=template.PAGE_MARGINS,
                display_header_footer=True,
                header_template=template.header_template(header),
                footer_template=template.footer_template(),
                # Bookmarks from the headings; Chromium only writes them into a tagged PDF.
                tagged=True,
                outline=True,
            )
        finally:
            await context.close()

    async def _prepare_page(self, page: Page, early: list[str], drawing: asyncio.Task[list[Drawn]] | None) -> None:
        sources: list[str] = await page.eval_on_selector_all(MERMAID_BLOCKS, "els => els.map(e => e.textContent)")
        drawn: list[Drawn] = []
        if sources:
            try:
                # Shielded: a render that times out leaves the drawing to finish (and be thrown away).
                if drawing is not None and early == sources[:MAX_DIAGRAMS]:
                    drawn = await asyncio.shield(drawing)
                else:
                    drawn = await self._draw(sources[:MAX_DIAGRAMS])
            except PdfFailed:
                # Mermaid is missing or did not load (logged where that was found): the report is
                # still printed, its diagrams as code with the reason.
                drawn = [Drawn(None, _NO_RENDERER)] * len(sources)
            drawn += [Drawn(None, f"a report draws at most {MAX_DIAGRAMS} diagrams")] * (len(sources) - len(drawn))
            # The diagram rules, for checking each drawing again in this page.
            await page.evaluate(f"() => {{\n{policy_js()}\n}}")
        answers = [{"svg": d.svg, "error": d.error, "removed": list(d.removed)} for d in drawn]
        placed = await page.evaluate(_PREPARE_PAGE, answers)
        if placed != len(sources):
            raise PdfFailed("The diagrams could not be placed in the PDF.")

    async def _draw(self, sources: list[str]) -> list[Drawn]:
        # Shielded: the page is shared, and one render's timeout must not cancel its loading for all.
        mermaid = await asyncio.shield(self._diagram_page())
        return await mermaid.draw(sources)

    async def _new_context(self) -> BrowserContext:
        browser = await self._ensure_browser()
        try:
            return await browser.new_context()
        except PlaywrightError:
            # The browser died and Playwright has not noticed yet: launch a new one, once.
            log.warning("the PDF browser was gone; launching a new one", exc_info=True)
            async with self._launch_lock:
                if self._browser is browser:
                    self._browser = self._diagrams = None
            browser = await self._ensure_browser()
            return await browser.new_context()

    async def _ensure_browser(self) -> Browser:
        async with self._launch_lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            self._browser = self._diagrams = None
            if not self.chromium_path.exists():
                raise PdfFailed(f"The PDF renderer is not available: Chromium is missing ({self.chromium_path}).")
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            try:
                self._browser = await self._playwright.chromium.launch(
                    executable_path=str(self.chromium_path), args=CHROMIUM_ARGS, headless=True
                )
            except PlaywrightError as exc:
                log.warning("Chromium did not start", exc_info=True)
                raise PdfFailed(
                    f"The PDF renderer is not available: Chromium did not start ({_first_line(exc)})."
                ) from None
            self._lower_priority()
            return self._browser

    def _diagram_page(self) -> asyncio.Task[DiagramPage]:
        """Mermaid's page, loading or loaded, shared by every render; a failed load is tried again."""
        task = self._diagrams
        if task is None or (task.done() and (task.cancelled() or task.exception() or not task.result().is_usable())):
            task = self._diagrams = _background(self._open_diagram_page())
        return task

    async def _open_diagram_page(self) -> DiagramPage:
        if not self.mermaid_js.is_file():
            raise PdfFailed(
                "The PDF renderer cannot draw diagrams: the Mermaid script is missing "
                f"({self.mermaid_js}); ./scripts/run installs it."
            )
        browser = await self._ensure_browser()
        context = await browser.new_context()
        try:
            page = await DiagramPage.open(context, self.mermaid_js, self.timeout_seconds * 1000)
        except (PlaywrightError, RuntimeError):
            await context.close()
            log.warning("Mermaid did not load", exc_info=True)
            raise PdfFailed("The PDF renderer cannot draw diagrams: Mermaid did not load.") from None
        self._lower_priority()
        return page

    def _lower_priority(self) -> None:
        """Renice Chromium's processes (new renderers appear with new pages, at the zygote's priority)."""
        if self.chromium_nice <= 0:
            return
        try:
            children = psutil.Process(os.getpid()).children(recursive=True)
        except psutil.Error:
            return
        for proc in children:
            # Best effort: a process may end while we look, and nothing breaks if one keeps its priority.
            try:
                if proc.name().startswith("chrom") and proc.nice() < self.chromium_nice:
                    proc.nice(self.chromium_nice)
            except psutil.Error:
                continue


def _background(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """A task whose failure is read even if no one awaits it (its render may have failed first)."""
    task = asyncio.ensure_future(coro)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return task


def _mermaid_sources(document: str) -> list[str]:
    return [html.unescape(m) for m in _MERMAID_HTML.findall(document)]


async def _refuse(route: Route) -> None:
    await route.abort("blockedbyclient")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:_ERROR_SHOWN_MAX] if text else type(exc).__name__


_default: PdfRenderer | None = None


def default_renderer() -> PdfRenderer:
    global _default
    if _default is None:
        _default = PdfRenderer.from_settings(get_settings())
    return _default


# This process's PDF render times, for /metrics (api/metrics.py).
RENDER_SECONDS = Histogram(
    "nyx_pdf_render_seconds", "Time to render one PDF in this process", buckets=(0.5, 1, 2, 3, 5, 10, 20, 45, 90)
)


async def render_pdf(html_body: str, *, title: str, header: PdfHeader, qr_url: str) -> bytes:
    """The process's renderer; see `PdfRenderer.render`."""
    with RENDER_SECONDS.time():
        return await default_renderer().render(html_body, title=title, header=header, qr_url=qr_url)


async def close() -> None:
    """Close the process's browser, if one was launched (call it at shutdown)."""
    if _default is not None:
        await _default.close()
