"""Reports as PDF, checked the way a reader would: open it, read its text, scan its QR code.

One renderer (one Chromium) serves the whole module; the large report is rendered once.
"""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import psutil
import pytest
import pytest_asyncio
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from nyx_app.integrations import markdown
from nyx_app.integrations.pdf import PdfFailed, PdfHeader, PdfRenderer, template
from nyx_app.integrations.pdf import renderer as renderer_module
from nyx_app.settings import get_settings
from tests.fakes import reports
from tests.fakes.hostile_diagrams import LABELS_AS_TEXT, diagrams
from tests.fakes.trap import Trap

HEADER = PdfHeader(project="Acme Onboarding", report_type="Run report", date=date(2026, 3, 15))
REPORT_URL = (
    "http://localhost:3000/projects/3f1c0b7e-5d7a-4b8e-9a51-2f7c1d9e8a10/reports/7b9e2c44-1a3d-4f0e-b6d2-0c8e5a9f1b23"
)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _page_png(pdf: bytes, page: int, tmp: Path, dpi: int = 150) -> Image.Image:
    source = tmp / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", source, tmp / "page"],
        check=True,
    )
    return Image.open(tmp / "page.png")


async def _render(renderer: PdfRenderer, markdown: str, *, title: str = "A report") -> bytes:
    return await renderer.render(reports.to_html(markdown), title=title, header=HEADER, qr_url=REPORT_URL)


@pytest_asyncio.fixture(scope="module")
async def renderer() -> AsyncIterator[PdfRenderer]:
    pdf = PdfRenderer.from_settings(get_settings())
    yield pdf
    await pdf.close()


@pytest_asyncio.fixture(scope="module")
async def flagship(renderer: PdfRenderer) -> tuple[bytes, list[str]]:
    pdf = await _render(renderer, reports.flagship_report(), title="Image-to-implementation pipeline")
    return pdf, _pages(pdf)


def test_the_large_report_is_a_pdf_of_many_pages_with_header_and_page_numbers(flagship) -> None:
    pdf, pages = flagship
    assert len(reports.flagship_report()) >= 145_000
    assert pdf.startswith(b"%PDF-")
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert "Acme Onboarding" in text
        assert "Run report" in text
        assert "15 March 2026" in text
        assert f"Page {number} of {len(pages)}" in text


def test_the_first_page_carries_title_and_report_url(flagship) -> None:
    _, pages = flagship
    assert "Image-to-implementation pipeline" in pages[0]
    assert REPORT_URL in pages[0].replace("\n", "")


def test_mermaid_diagrams_are_drawn_not_printed_as_code(flagship) -> None:
    _, pages = flagship
    text = "\n".join(pages)
    for marker in reports.DIAGRAM_SOURCE_MARKERS:
        assert marker not in text
    # Labels stay text (vector, selectable): the diagrams were drawn from this source.
    for label in (*reports.FLOWCHART_LABELS, *reports.SEQUENCE_LABELS):
        assert label in text


def test_code_and_tables_keep_all_their_text(flagship) -> None:
    """Long code lines wrap instead of running off the page, so their ends are still in the text."""
    _, pages = flagship
    flat = re.sub(r"\s+", "", "".join(pages))
    assert "test-artifacts/action-point-28.json" in flat
    assert 'kinds=("decision","pitfall","convention")' in flat
    assert "0010_add_step_6_columns.py" in flat


def test_the_qr_code_on_the_first_page_opens_the_report(flagship, tmp_path: Path) -> None:
    pdf, _ = flagship
    codes = zxingcpp.read_barcodes(_page_png(pdf, 1, tmp_path))
    assert [c.text for c in codes] == [REPORT_URL]


async def test_outside_images_are_never_requested(renderer: PdfRenderer, trap: Trap) -> None:
    markdown = f"# Images\n\n![remote]({reports.REMOTE_IMAGE})\n\n![local]({trap.url}/pixel.png)\n\nText after."
    pages = _pages(await _render(renderer, markdown))
    assert trap.connections == []
    assert "[image: local]" in pages[0]
    assert "Text after." in pages[0]


async def test_outside_requests_are_refused_even_without_the_page_policy(
    renderer: PdfRenderer, trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second wall alone: the browser refuses every request the page makes."""
    monkeypatch.setattr(template, "DOCUMENT_CSP", "default-src *")
    markdown = f"![a]({trap.url}/a.png)\n\n![b]({trap.url.replace('127.0.0.1', 'localhost')}/b.png)"
    await _render(renderer, markdown)
    assert trap.connections == []


async def test_markup_that_slipped_past_the_sanitiser_runs_no_script(renderer: PdfRenderer) -> None:
    body = "<p id='x'>harmless</p><script>document.getElementById('x').textContent = 'SCRIPTED'</script>"
    header = PdfHeader(project="<b>Bold</b> & Co", report_type="Run report", date=date(2026, 3, 15))
    pdf = await renderer.render(body, title="<i>T</i>", header=header, qr_url=REPORT_URL)
    text = _pages(pdf)[0]
    assert "harmless" in text
    assert "SCRIPTED" not in text
    assert "<b>Bold</b> & Co" in text


async def test_a_diagram_that_cannot_be_drawn_is_printed_as_its_code_and_the_pdf_is_made(
    renderer: PdfRenderer,
) -> None:
    document = (
        "# Plan\n\n```mermaid\ngraph TD\n  A[Start] --> B[\n```\n\nBetween.\n\n"
        "```mermaid\ngraph LR\n  A[Drawn node] --> B[End]\n```\n\n```mermaid\nnot a diagram\n```\n"
    )
    text = "\n".join(_pages(await _render(renderer, document)))
    assert "This diagram could not be drawn: Mermaid could not read the end of it (is something left open?)" in text
    assert "A[Start] --> B[" in text  # its code, as written
    assert "This diagram could not be drawn: Mermaid does not know this kind of diagram" in text
    assert "Drawn node" in text and "graph LR" not in text  # the good one is still drawn
    assert "Traceback" not in text and "Between." in text


async def test_a_report_draws_a_limited_number_of_diagrams_and_prints_the_rest_as_code(
    renderer: PdfRenderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renderer_module, "MAX_DIAGRAMS", 2)
    document = "\n\n".join(f"```mermaid\ngraph LR\n  A{i}[Node {i}] --> B{i}[End {i}]\n```" for i in range(3))
    text = "\n".join(_pages(await _render(renderer, document)))
    assert "Node 0" in text and "Node 1" in text and "A2[Node 2] --> B2[End 2]" in text
    assert "This diagram could not be drawn: a report draws at most 2 diagrams" in text


async def test_hostile_diagrams_in_a_pdf_request_nothing_and_link_nowhere(
    renderer: PdfRenderer, trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every hostile diagram of the corpus in one report, with the document page's own policy
    opened wide: the renderer's refusal of outside requests and the diagram rules are enough."""
    monkeypatch.setattr(template, "DOCUMENT_CSP", "default-src * 'unsafe-inline'")
    corpus = {**diagrams(trap.url), **LABELS_AS_TEXT}
    body = "\n\n".join(f"## {name}\n\n```mermaid\n{source}\n```" for name, source in corpus.items())
    pdf = await renderer.render(markdown.render(body), title="Hostile", header=HEADER, qr_url=REPORT_URL)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert trap.connections == []
    links = [
        str(annot.get_object().get("/A", {}).get("/URI", ""))
        for page in reader.pages
        for annot in page.get("/Annots") or []
    ]
    assert [link for link in links if link != REPORT_URL] == []
    assert "Left out of this drawing: click actions and links" in text
    assert "a > b" in text and "<b>bold</b>" in text
    assert "This diagram could not be drawn" in text  # the unparseable ones, printed as code


async def test_two_renders_at_once_both_succeed_and_keep_to_themselves(renderer: PdfRenderer) -> None:
    first = "# Tenant one\n\nOnly-in-one.\n\n```mermaid\ngraph LR\n  P[Alpha node] --> Q[Beta node]\n```"
    second = "# Tenant two\n\nOnly-in-two.\n\n```mermaid\nsequenceDiagram\n  Gamma->>Delta: hello\n```"
    one, two = await asyncio.gather(_render(renderer, first), _render(renderer, second))
    text_one, text_two = "\n".join(_pages(one)), "\n".join(_pages(two))
    assert "Only-in-one." in text_one
    assert "Alpha node" in text_one
    assert "Only-in-two." in text_two
    assert "Gamma" in text_two
    assert not {"Only-in-two.", "Gamma", "Delta"} & set(re.findall(r"[\w.-]+", text_one))
    assert not {"Only-in-one.", "Alpha", "Beta"} & set(re.findall(r"[\w.-]+", text_two))


def _browser_processes() -> dict[int, psutil.Process]:
    """Chromium's browser processes under this one (its helpers carry a --type= argument)."""
    found = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.name().startswith("chrom") and not any(a.startswith("--type=") for a in proc.cmdline()):
                found[proc.pid] = proc
        except psutil.Error:  # ended, or a zombie not yet reaped
            continue
    return found


async def test_a_browser_that_died_is_launched_again() -> None:
    renderer = PdfRenderer.from_settings(get_settings())
    others = _browser_processes()
    try:
        await _render(renderer, "```mermaid\ngraph LR\n  A[Before] --> B[Crash]\n```")
        # At least the renderer's browser (a fresh clone's run once also saw a second process
        # without --type= appear at the same moment); all of them are killed.
        browsers = [p for pid, p in _browser_processes().items() if pid not in others]
        assert browsers
        for proc in browsers:
            proc.kill()
        psutil.wait_procs(browsers, timeout=10)
        text = "\n".join(_pages(await _render(renderer, "```mermaid\ngraph LR\n  A[After] --> B[Relaunch]\n```")))
        assert "Relaunch" in text
    finally:
        await renderer.close()


async def test_without_chromium_the_renderer_says_so() -> None:
    renderer = PdfRenderer(chromium_path=Path("/nonexistent/chromium"), mermaid_js=get_settings().pdf_mermaid_js)
    with pytest.raises(PdfFailed, match=r"^The PDF renderer is not available: Chromium is missing"):
        await _render(renderer, "# Hello")
    await renderer.close()


async def test_without_mermaid_diagrams_are_printed_as_code_with_a_note(tmp_path: Path) -> None:
    renderer = PdfRenderer(chromium_path=get_settings().pdf_chromium_path, mermaid_js=tmp_path / "mermaid.min.js")
    try:
        assert "No diagrams here" in _pages(await _render(renderer, "No diagrams here."))[0]
        text = _pages(await _render(renderer, "```mermaid\ngraph LR\n  A --> B\n```"))[0]
        assert "This diagram could not be drawn: the app's diagram renderer is not available" in text
        assert "A --> B" in text and str(tmp_path) not in text
    finally:
        await renderer.close()


async def test_images_below_the_first_screen_print_and_table_cells_keep_whole_words(renderer: PdfRenderer) -> None:
    """The renderer marks images lazy; on paper all of them must load (they printed "[image: image]"),
    and a crowded table wraps between words, never inside one ("succeed/ed", "$0.0/0")."""
    png = io.BytesIO()
    Image.new("RGB", (120, 80), (40, 90, 200)).save(png, "WEBP")
    uri = "data:image/webp;base64," + __import__("base64").b64encode(png.getvalue()).decode()
    header = "".join(f"<th>Column {n}</th>" for n in range(9))
    row = "".join(f"<td>{w}</td>" for w in ("succeeded", "$0.0012", "Enrich notes", "claude-sonnet-4-6", "1,234",
                                              "2026-03-15", "12.5 s", "attempts", "unavailable"))  # fmt: skip
    body = (
        "<h1>Images</h1>"
        + "<p>Filler paragraph to push the images down the page.</p>" * 80
        + f"<table><thead><tr>{header}</tr></thead><tbody>{f'<tr>{row}</tr>' * 3}</tbody></table>"
        + "".join(f'<p><img src="{uri}" alt="image" loading="lazy"></p>' for _ in range(12))
    )
    pdf = await renderer.render(body, title="Lazy images", header=HEADER, qr_url=REPORT_URL)
    text = "\n".join(_pages(pdf))
    assert "[image" not in text
    words = re.findall(r"\S+", text)
    for whole in ("succeeded", "$0.0012", "attempts", "unavailable"):  # (a hyphen may end a line)
        assert words.count(whole) == 3, whole
