"""The printed page around a report's HTML: inline CSS, the title block with its QR code, and the
header and footer Chromium draws on every page.

Everything here is one self-contained document. Its Content-Security-Policy allows no script, no
outside request and only `data:` images, so whatever the report holds can load nothing (the
renderer also aborts every request the page makes). Every text that comes from a user (title,
project, report type, URL) is HTML-escaped here; the report body arrives already made safe by the
app's Markdown renderer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

import segno
from playwright.async_api import PdfMargins

from nyx_app.integrations.code_highlight import print_stylesheet

# No script runs in the document page: diagrams are drawn in a page of their own and put in by the
# renderer through the DevTools protocol, which the policy does not govern.
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"

# Installed by scripts/lib.sh (fonts-noto-core, fonts-jetbrains-mono); DejaVu is the machine's own.
TEXT_FONT = "'Noto Sans', 'DejaVu Sans', sans-serif"
CODE_FONT = "'JetBrains Mono', 'DejaVu Sans Mono', monospace"

# Left and right page margins; the header and footer templates line up with them.
SIDE_MARGIN = "16mm"
PAGE_MARGINS: PdfMargins = {"top": "22mm", "bottom": "18mm", "left": SIDE_MARGIN, "right": SIDE_MARGIN}

STYLE = f"""
@page {{ size: A4; }}
html {{
  font-family: {TEXT_FONT}; font-size: 10pt; line-height: 1.5; color: #1f2328;
  /* Ligatures turn "fi" into one glyph, and text copied from the PDF then reads wrong. */
  font-variant-ligatures: no-common-ligatures;
  -webkit-print-color-adjust: exact; print-color-adjust: exact;
}}
body {{ margin: 0; }}
h1, h2, h3, h4, h5, h6 {{ line-height: 1.25; margin: 1.4em 0 0.5em; break-after: avoid; }}
h1 {{ font-size: 19pt; }}
h2 {{ font-size: 15pt; padding-bottom: 0.15em; border-bottom: 1px solid #d0d7de; }}
h3 {{ font-size: 12pt; }}
h4, h5, h6 {{ font-size: 10.5pt; }}
p, li {{ orphans: 3; widows: 3; }}
a {{ color: #0b57d0; text-decoration: none; overflow-wrap: anywhere; }}
ul, ol {{ padding-left: 1.6em; }}
li + li {{ margin-top: 0.15em; }}
hr {{ border: 0; border-top: 1px solid #d0d7de; margin: 1.5em 0; }}
blockquote {{
  margin: 1em 0; padding: 0.3em 1em; color: #424a53;
  background: #f6f8fa; border-left: 3px solid #8c959f;
}}
code, pre {{ font-family: {CODE_FONT}; font-variant-ligatures: none; }}
:not(pre) > code {{
  font-size: 0.86em; padding: 0.1em 0.3em; border-radius: 3px; background: #eff1f3;
  overflow-wrap: anywhere;
}}
/* Long lines wrap inside the box instead of running off the page edge. */
pre {{
  font-size: 8pt; line-height: 1.45; margin: 0.8em 0; padding: 7px 10px;
  background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 4px;
  white-space: pre-wrap; overflow-wrap: anywhere; box-decoration-break: clone;
}}
pre code {{ display: block; font-size: inherit; }}
/* One block per source line (the renderer splits them): a wrapped line continues indented. */
pre code .line {{ display: block; min-height: 1lh; }}
/* Wide tables fit the page: words wrap whole where they can, code breaks anywhere (paths are long
   and would otherwise widen a column past the page); the header row repeats on every page. */
table {{ width: 100%; border-collapse: collapse; margin: 1em 0; font-size: 8pt; line-height: 1.35; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; }}
th, td {{ padding: 3px 5px; border: 1px solid #d0d7de; vertical-align: top; overflow-wrap: break-word; }}
td code {{ overflow-wrap: anywhere; }}
th {{ background: #eef1f4; text-align: left; }}
tbody tr:nth-child(even) td {{ background: #fafbfc; }}
img {{ max-width: 100%; }}
.missing-image {{ color: #57606a; font-style: italic; }}
figure.diagram {{ margin: 1em 0; text-align: center; break-inside: avoid; }}
/* Mermaid sizes a diagram at its natural width; a bigger one shrinks to the page, never grows. */
figure.diagram svg {{ max-width: 100%; max-height: 235mm; height: auto; }}
figure.diagram figcaption {{ font-size: 8pt; color: #57606a; }}
/* A diagram that could not be drawn is printed as its code, with the reason under it. */
.diagram-error {{ font-size: 8.5pt; color: #9a6700; margin: -0.4em 0 1em; }}
.title-block {{
  display: flex; gap: 8mm; align-items: flex-start; justify-content: space-between;
  padding-bottom: 5mm; margin-bottom: 6mm; border-bottom: 2px solid #1f2328;
}}
.title-block .kind {{ font-size: 9pt; letter-spacing: 0.08em; text-transform: uppercase; color: #57606a; }}
.title-block h1 {{ margin: 0.15em 0 0.3em; font-size: 22pt; }}
.title-block .meta {{ font-size: 9.5pt; color: #424a53; }}
.title-block .url {{ font-size: 8pt; color: #57606a; overflow-wrap: anywhere; }}
.title-block img.qr {{ width: 26mm; height: 26mm; flex: none; }}
"""
# Code colours (class names written by the Markdown renderer), light.
STYLE += print_stylesheet()


@dataclass(frozen=True, slots=True)
class PdfHeader:
    """What the header of every page says."""

    project: str
    report_type: str
    date: date

    @property
    def date_text(self) -> str:
        return f"{self.date.day} {self.date:%B %Y}"


def qr_data_uri(url: str) -> str:
    # svg_data_uri, not svg_inline: the inline form lacks the SVG namespace and shows broken.
    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2, dark="#000"))


def document(body_html: str, *, title: str, header: PdfHeader, qr_url: str) -> str:
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{DOCUMENT_CSP}">
<title>{e(title)}</title>
<style>{STYLE}</style>
</head><body>
<header class="title-block">
  <div>
    <div class="kind">{e(header.report_type)}</div>
    <h1>{e(title)}</h1>
    <div class="meta">{e(header.project)} &middot; {e(header.date_text)}</div>
    <div class="url">{e(qr_url)}</div>
  </div>
  <img class="qr" src="{e(qr_data_uri(qr_url))}" alt="QR code linking to this report">
</header>
<main>
{body_html}
</main>
</body></html>"""


# Header and footer are separate little documents: inline styles only, and Chromium fills the spans
# with the classes pageNumber and totalPages. Their default font size is tiny, so every size is set.
_BAR = f"width:100%; margin:0 {SIDE_MARGIN}; font-family:{TEXT_FONT}; font-size:7.5pt; color:#57606a;"


def header_template(header: PdfHeader) -> str:
    e = html.escape
    return (
        f'<div style="{_BAR} display:flex; justify-content:space-between; padding-bottom:2mm;'
        f' border-bottom:0.5pt solid #d0d7de;">'
        f"<span>{e(header.project)}</span><span>{e(header.report_type)} &middot; {e(header.date_text)}</span></div>"
    )


def footer_template() -> str:
    return (
        f'<div style="{_BAR} text-align:right;">'
        'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
    )
