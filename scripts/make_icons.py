"""Draw the product icon: assets/icon.svg by hand-written geometry, and the same picture as
favicon.ico (16, 32, 48 px) and apple-touch-icon.png (180 px) with Pillow.

    PYTHONPATH=. .venv/bin/python scripts/make_icons.py

The icon: a night-blue rounded square with a white crescent moon and a small star ("nyx" is
the night). Geometry on a 64-unit grid, shared by both renderings.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parents[1] / "assets"
TOP, BOTTOM = (62, 99, 221), (27, 34, 94)  # indigo to night blue
MOON = (32.0, 33.0, 17.0)  # centre x, y, radius
SHADOW = (40.0, 26.0, 14.5)  # the circle cut out of the moon
STAR = [(46, 12), (48, 18), (54, 20), (48, 22), (46, 28), (44, 22), (38, 20), (44, 18)]

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="nyxCore">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="rgb{TOP}"/>
      <stop offset="1" stop-color="rgb{BOTTOM}"/>
    </linearGradient>
    <mask id="crescent">
      <rect width="64" height="64" fill="white"/>
      <circle cx="{SHADOW[0]}" cy="{SHADOW[1]}" r="{SHADOW[2]}" fill="black"/>
    </mask>
  </defs>
  <rect width="64" height="64" rx="14" fill="url(#sky)"/>
  <circle cx="{MOON[0]}" cy="{MOON[1]}" r="{MOON[2]}" fill="white" mask="url(#crescent)"/>
  <polygon points="{" ".join(f"{x},{y}" for x, y in STAR)}" fill="white" opacity="0.9"/>
</svg>
"""


def draw(size: int) -> Image.Image:
    scale = size * 4 / 64  # draw large, then shrink: smooth edges
    big = size * 4
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    sky = Image.new("RGBA", (big, big))
    pixels = sky.load()
    assert pixels is not None
    for y in range(big):
        t = y / (big - 1)
        row = tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM, strict=True))
        for x in range(big):
            pixels[x, y] = (*row, 255)
    shape = Image.new("L", (big, big), 0)
    ImageDraw.Draw(shape).rounded_rectangle((0, 0, big - 1, big - 1), radius=14 * scale, fill=255)
    img.paste(sky, (0, 0), shape)
    moon = Image.new("L", (big, big), 0)
    d = ImageDraw.Draw(moon)
    cx, cy, r = (v * scale for v in MOON)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    sx, sy, sr = (v * scale for v in SHADOW)
    d.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=0)
    img.paste((255, 255, 255, 255), (0, 0), moon)
    star = Image.new("L", (big, big), 0)
    ImageDraw.Draw(star).polygon([(x * scale, y * scale) for x, y in STAR], fill=230)
    img.paste((255, 255, 255, 255), (0, 0), star)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    (ASSETS / "icon.svg").write_text(SVG)
    draw(48).save(ASSETS / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    draw(180).save(ASSETS / "apple-touch-icon.png")


if __name__ == "__main__":
    main()
