"""What a Mermaid diagram may be: the rules in `diagram_policy.js`, shared by every page that draws.

Diagrams are drawn by Mermaid in a browser: the reader's (the viewer's script, `api/assets/
diagrams.js`) or the PDF renderer's Chromium (`integrations/pdf`). Both run this one script before
and after Mermaid, so a diagram is cleaned and its SVG checked by the same rules wherever it
appears. The script says what it does and why; this module only hands its text out.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

POLICY_JS = Path(__file__).with_name("diagram_policy.js")


@lru_cache(maxsize=1)
def policy_js() -> str:
    """The script's text. Run as a script or evaluated as an expression, it defines the frozen
    global ``nyxDiagramPolicy`` (``mermaidConfig``, ``cleanSource``, ``sanitizeSvg``, ``explain``)."""
    return POLICY_JS.read_text(encoding="utf-8")
