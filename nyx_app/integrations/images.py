"""Image checks and re-encoding with Pillow. Pure functions: bytes in, bytes out, no I/O.

Everything an upload claims (name, Content-Type) is ignored: the decoded content decides. The
file is re-encoded, which drops metadata (EXIF with its GPS position, XMP, GIF and JPEG comments,
PNG text chunks) and anything smuggled after the image data, and a WebP thumbnail is made for the
gallery. Only the ICC colour profile is kept (see ``_color_profile``).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

THUMB_SIZE = (320, 320)
# What a re-encoded frame may carry over from the decoded one: only what shows its pixels right.
# Pillow writes some other ``info`` entries back out by itself (GIF and JPEG comments, for one).
KEPT_INFO = frozenset({"transparency", "duration", "loop", "background", "disposal"})
NAME_SHOWN_MAX = 80

# format Pillow reports -> (content type, file extension)
ACCEPTED = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
ACCEPTED_LABEL = "PNG, JPEG, WebP or GIF"


class ImageRejected(ValueError):
    """The file is not an image we accept; the message says why, in words for the user."""


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    data: bytes
    thumb: bytes
    content_type: str
    ext: str
    width: int
    height: int
    sha256: str


def display_name(filename: str | None) -> str:
    """The uploaded name, only ever used in messages: no directories, no control characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    cleaned = cleaned.strip() or "unnamed file"
    return cleaned if len(cleaned) <= NAME_SHOWN_MAX else cleaned[: NAME_SHOWN_MAX - 1] + "…"


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<svg" in head


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read only the header and check format and dimensions before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (and above 2x its limit raises) on huge images; our own limit is lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
    except Image.DecompressionBombError:
        raise ImageRejected(f"The image is too large (more than {max_pixels // 1_000_000} megapixels).") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        if _looks_like_svg(data):
            raise ImageRejected("SVG images are not accepted (they can carry scripts). Export it as PNG.") from None
        raise ImageRejected(f"This is not an image we can read. Upload a {ACCEPTED_LABEL} file.") from None
    width, height = img.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise ImageRejected(
            f"The image is {width} x {height} pixels; at most {max_pixels // 1_000_000} megapixels are allowed."
        )
    return img


def _frames(img: Image.Image, max_pixels: int) -> list[Image.Image]:
    """All frames, decoded; an animation counts every frame against the pixel limit."""
    frames = getattr(img, "n_frames", 1)
    if frames * img.size[0] * img.size[1] > max_pixels:
        raise ImageRejected(
            f"The animation has {frames} frames of {img.size[0]} x {img.size[1]} pixels; "
            f"at most {max_pixels // 1_000_000} megapixels in total are allowed."
        )
    try:
        if frames == 1:
            img.load()
            return [img]
        return [frame.copy() for frame in ImageSequence.Iterator(img)]
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ImageRejected("The image file is damaged or incomplete. Save it again and retry.") from None


def _color_profile(source: Image.Image) -> dict[str, bytes]:
    """The ICC colour profile is the one piece of metadata kept: without it, wide-gamut photos
    (phones shoot Display P3) would show washed-out colours. It says nothing about the user."""
    icc = source.info.get("icc_profile")
    return {"icc_profile": icc} if isinstance(icc, bytes) and icc else {}


def _bare(frame: Image.Image) -> Image.Image:
    frame.info = {key: value for key, value in frame.info.items() if key in KEPT_INFO}
    return frame


def _encode(fmt: str, frames: list[Image.Image], source: Image.Image) -> bytes:
    """Same format out as in. ``frames[0]`` is already upright for still images."""
    out = io.BytesIO()
    frames = [_bare(frame) for frame in frames]
    first = frames[0]
    profile = _color_profile(source)
    if len(frames) > 1:
        first.save(
            out,
            fmt,
            save_all=True,
            append_images=frames[1:],
            loop=source.info.get("loop", 0),
            duration=source.info.get("duration", 100),
        )
    elif fmt == "JPEG":
        first = first if first.mode in ("RGB", "L") else first.convert("RGB")
        first.save(out, "JPEG", quality=88, **profile)
    elif fmt == "PNG":
        first.save(out, "PNG", compress_level=6, **profile)
    elif fmt == "WEBP":
        first.save(out, "WEBP", quality=88, **profile)
    else:
        first.save(out, "GIF")
    return out.getvalue()


def _thumbnail(first: Image.Image, profile: dict[str, bytes]) -> bytes:
    thumb = first
    if thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert("RGBA" if "transparency" in thumb.info or thumb.mode in ("LA", "PA") else "RGB")
    else:
        thumb = thumb.copy()
    thumb.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS, reducing_gap=2.0)
    _bare(thumb)
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=80, **profile)
    return out.getvalue()


def process_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ProcessedImage:
    """Validate by decoding, re-encode in the same format, thumbnail. Raises ImageRejected.

    CPU-bound (tens to hundreds of milliseconds per photo): call it from a worker thread.
    """
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is larger than {max_bytes / 1_048_576:.0f} MB, the limit per image.")
    img = _open(data, max_pixels)
    fmt = img.format or ""
    if fmt not in ACCEPTED:  # formats= already restricts this; kept so a Pillow change cannot widen it
        raise ImageRejected(f"This is not an image we accept. Upload a {ACCEPTED_LABEL} file.")
    with img:
        frames = _frames(img, max_pixels)
        if len(frames) == 1:
            # Turn the picture upright before the EXIF orientation tag is dropped with the rest.
            frames = [ImageOps.exif_transpose(frames[0])]
        encoded = _encode(fmt, frames, img)
        thumb = _thumbnail(frames[0], _color_profile(img))
        width, height = frames[0].size
    content_type, ext = ACCEPTED[fmt]
    return ProcessedImage(
        data=encoded,
        thumb=thumb,
        content_type=content_type,
        ext=ext,
        width=width,
        height=height,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )
