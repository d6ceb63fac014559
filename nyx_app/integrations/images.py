"""Image checks and re-encoding with Pillow: bytes in, bytes out, no I/O; run in worker processes.

Everything an upload claims (name, Content-Type) is ignored: the decoded content decides. The
file is re-encoded, which drops metadata (EXIF with its GPS position, XMP, GIF and JPEG comments,
PNG text chunks) and anything smuggled after the image data, and a WebP thumbnail is made for the
gallery. Only the ICC colour profile is kept (see ``_color_profile``).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import multiprocessing
import os
import threading
import unicodedata
import warnings
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from nyx_app.integrations.lifetime import pool_worker_dies_with_parent

THUMB_SIZE = (320, 320)
PNG_COMPRESS_LEVEL = 1  # Pillow's PNG writer (palette and other modes libvips is not given)
VIPS_PNG_COMPRESSION = 2
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


# Formats we do not take, named from their first bytes only (no parser runs on them), so the
# refusal can say what the file is: "BMP images are not accepted".
_KNOWN_OTHERS: tuple[tuple[int, bytes, str], ...] = (
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"8BPS", "Photoshop (PSD)"),
    (0, b"%PDF", "PDF"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
)


def _other_format(data: bytes) -> str:
    return next((name for at, magic, name in _KNOWN_OTHERS if data[at : at + len(magic)] == magic), "")


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
        if other := _other_format(data):
            raise ImageRejected(f"{other} images are not accepted. Upload a {ACCEPTED_LABEL} file.") from None
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


def _encode(fmt: str, frames: list[Image.Image], profile: dict[str, bytes], loop: int, duration: int) -> bytes:
    """Same format out as in. ``frames[0]`` is already upright for still images."""
    out = io.BytesIO()
    frames = [_bare(frame) for frame in frames]
    first = frames[0]
    if len(frames) > 1:
        first.save(out, fmt, save_all=True, append_images=frames[1:], loop=loop, duration=duration)
    elif fmt == "JPEG":
        first = first if first.mode in ("RGB", "L") else first.convert("RGB")
        first.save(out, "JPEG", quality=88, **profile)
    elif fmt == "PNG":
        return _png(first, profile)
    elif fmt == "WEBP":
        first.save(out, "WEBP", quality=88, **profile)
    else:
        first.save(out, "GIF")
    return out.getvalue()


# 8-bit modes libvips takes as they are, and their number of bands.
_VIPS_BANDS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


def _png(image: Image.Image, profile: dict[str, bytes]) -> bytes:
    """PNG out, by libvips where it can: Pillow filters every row adaptively (five filters tried)
    and cannot be told not to, which made writing a 4-megapixel screenshot cost ~125 ms of CPU even
    at zlib level 1. libvips writes the same pixels unfiltered at level 2 in ~45 ms, the file some
    10% larger (scripts/bench/pages.py). libvips only encodes pixels Pillow decoded: it never
    parses an upload. Palette, 1-bit, 16-bit and colour-keyed (tRNS) images stay with Pillow."""
    if image.mode not in _VIPS_BANDS or "transparency" in image.info:
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL, **profile)
        return out.getvalue()
    import pyvips  # in the image workers only: loading libvips is not free

    pixels = pyvips.Image.new_from_memory(
        image.tobytes(), image.width, image.height, _VIPS_BANDS[image.mode], "uchar"
    ).copy(interpretation="b-w" if image.mode in ("L", "LA") else "srgb")
    if "icc_profile" in profile:
        pixels.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile["icc_profile"])
    keep = "icc" if "icc_profile" in profile else "none"
    return bytes(pixels.pngsave_buffer(compression=VIPS_PNG_COMPRESSION, filter="none", keep=keep))


def _thumbnail(first: Image.Image, profile: dict[str, bytes]) -> bytes:
    width, height = first.size
    scale = min(THUMB_SIZE[0] / width, THUMB_SIZE[1] / height, 1.0)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    source = first
    if source.mode not in ("RGB", "RGBA"):
        source = source.convert("RGBA" if "transparency" in source.info or source.mode in ("LA", "PA") else "RGB")
    # resize() makes a new image (no copy of the full-size one first); reducing_gap shrinks by
    # whole factors before the Lanczos pass, which is most of the speed.
    thumb = _bare(source.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0))
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=80, **profile)
    return out.getvalue()


def check_size(data: bytes, max_bytes: int) -> None:
    """What can be refused from the length alone, before any decoding."""
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is larger than {max_bytes / 1_048_576:.0f} MB, the limit per image.")


def process_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ProcessedImage:
    """Validate by decoding, re-encode in the same format, thumbnail. Raises ImageRejected.

    CPU-bound (100-400 ms for a photo or a retina screenshot): call it through ``process_off_loop``.
    """
    check_size(data, max_bytes)
    img = _open(data, max_pixels)
    fmt = img.format or ""
    if fmt not in ACCEPTED:  # formats= already restricts this; kept so a Pillow change cannot widen it
        raise ImageRejected(f"This is not an image we accept. Upload a {ACCEPTED_LABEL} file.")
    with img:
        # Read before _bare() strips the frames' info (a still image's only frame is img itself).
        profile = _color_profile(img)
        loop, duration = img.info.get("loop", 0), img.info.get("duration", 100)
        frames = _frames(img, max_pixels)
        if len(frames) == 1:
            # Turn the picture upright before the EXIF orientation tag is dropped with the rest
            # (in place: most pictures need no turn, and a copy of 12 megapixels is not free).
            ImageOps.exif_transpose(frames[0], in_place=True)
        encoded = _encode(fmt, frames, profile, loop, duration)
        thumb = _thumbnail(frames[0], profile)
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


# Image work runs in a pool of worker processes, one per core: decoding and encoding are CPU-bound,
# and in the web process they would compete with the event loop (and the GIL) that serves every
# click. "spawn": a fork of the threaded web process could inherit a lock held by another thread.
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
WORKER_FAILED = "The image could not be processed (the image worker stopped). Please try again."


def _workers() -> int:
    return max(1, os.cpu_count() or 1)


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # Its workers end with the web process even when it is killed (no orphans left).
            _pool = ProcessPoolExecutor(
                max_workers=_workers(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=pool_worker_dies_with_parent,
            )
        return _pool


def _discard_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


async def process_off_loop(data: bytes, *, max_bytes: int, max_pixels: int) -> ProcessedImage:
    """``process_image`` in the worker pool; the event loop only waits. Raises ImageRejected."""
    check_size(data, max_bytes)  # no need to ship an oversize file to a worker to learn that
    pool = _get_pool()
    work = functools.partial(process_image, data, max_bytes=max_bytes, max_pixels=max_pixels)
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, work)
    except BrokenProcessPool:
        # A worker died (killed for memory, say): the next file gets a fresh pool.
        _discard_pool(pool)
        raise ImageRejected(WORKER_FAILED) from None


def _ready() -> int:
    return os.getpid()


@asynccontextmanager
async def image_workers() -> AsyncIterator[None]:
    """For the app's lifespan: start the workers before the first drop needs them (a spawned
    worker takes a second to import), and stop them at shutdown."""
    pool = _get_pool()
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, _ready) for _ in range(_workers())))
    try:
        yield
    finally:
        _discard_pool(pool)
