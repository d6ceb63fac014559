"""Generated portraits: a deterministic SVG from the persona's name, made on the server.

No network, and nothing the user typed becomes markup: the picture is a symmetric 5x5 pattern
and a colour taken from the name's SHA-256, plus up to two initials that are letters only
(anything else is dropped, and what remains is XML-escaped anyway). The page shows it through an
``<img>`` data URI, where an SVG cannot run script even if it had some.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from xml.sax.saxutils import escape

SIZE = 120
CELL = 14
GRID = 5


def initials(name: str) -> str:
    words = [w for w in unicodedata.normalize("NFKC", name or "").split() if w]
    letters = [next((c for c in w if c.isalpha()), "") for w in words]
    picked = "".join(c for c in letters if c)[:2]
    return picked.upper()


def avatar_svg(name: str) -> str:
    digest = hashlib.sha256(unicodedata.normalize("NFKC", (name or "").strip().lower()).encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    fg, bg = f"hsl({hue},55%,45%)", f"hsl({hue},60%,92%)"
    cells = []
    offset = (SIZE - GRID * CELL) // 2
    for row in range(GRID):
        for col in range(3):  # mirrored: columns 0-2, then 1-0 again
            if digest[2 + row * 3 + col] % 2:
                for c in {col, GRID - 1 - col}:
                    x, y = offset + c * CELL, offset + row * CELL
                    cells.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fg}" opacity="0.35"/>')
    label = escape(initials(name))
    text = (
        f'<text x="50%" y="54%" text-anchor="middle" dominant-baseline="middle" font-family="sans-serif" '
        f'font-size="44" font-weight="600" fill="{fg}">{label}</text>'
        if label
        else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">'
        f'<rect width="{SIZE}" height="{SIZE}" rx="16" fill="{bg}"/>{"".join(cells)}{text}</svg>'
    )


def avatar_data_uri(name: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(avatar_svg(name).encode()).decode()
