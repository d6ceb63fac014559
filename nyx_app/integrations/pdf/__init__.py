"""Reports as PDF: `render_pdf(safe_html, title=…, header=PdfHeader(…), qr_url=…) -> bytes`.

See `renderer.py` for the browser's life cycle, concurrency and event-loop behaviour, and
`template.py` for the printed page.
"""

from nyx_app.integrations.pdf.renderer import PdfFailed, PdfRenderer, close, default_renderer, render_pdf
from nyx_app.integrations.pdf.template import PdfHeader

__all__ = ["PdfFailed", "PdfHeader", "PdfRenderer", "close", "default_renderer", "render_pdf"]
