"""The upload test corpus, made by the tests themselves: good images and every kind of bad file."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "teal", **save: object) -> bytes:
    out = io.BytesIO()
    mode = "RGB" if fmt == "JPEG" else "RGBA"
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def photo_bytes(size: tuple[int, int] = (1600, 1200), quality: int = 95) -> bytes:
    """A JPEG with photo-like noise, so it does not compress away (about 2 MB at 1600x1200)."""
    out = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def animated_gif(frames: int = 3, size: tuple[int, int] = (20, 20)) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", size, (i * 40 % 256, 255 - i * 40 % 256, 0)) for i in range(frames)]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    return out.getvalue()


def jpeg_with_gps_exif() -> bytes:
    img = Image.new("RGB", (40, 30), "orange")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


@cache
def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny PNG that claims (and zlib-compresses) a huge all-black grey image: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])  # 1-bit grey
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    pixels = zlib.compressobj(9)
    data = pixels.compress(row * height) + pixels.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
)
TEXT_AS_PNG = b"hello, I am a text file pretending to be an image\n"


def truncated_png() -> bytes:
    data = image_bytes("PNG", (200, 200), "red")
    return data[: len(data) // 2]


@dataclass(frozen=True)
class UploadCase:
    """One file of the upload corpus every uploader is tried with (notes, portraits, browser)."""

    id: str
    name: str  # as the browser sends it
    data: bytes
    shown: str  # the name the user reads in the answer
    refusal: str  # "" when the file is taken; else words the answer contains


def upload_corpus() -> list[UploadCase]:
    """Judged by decoding, never by name: a PNG without an extension or under a misleading one is
    taken; a BMP named .png is refused as a BMP; names with a right-to-left override or control
    characters are shown without them."""
    png = image_bytes("PNG", (40, 30), "navy")
    return [
        UploadCase("png-without-extension", "screenshot", png, "screenshot", ""),
        UploadCase("png-named-jpg", "holiday.jpg", png, "holiday.jpg", ""),
        UploadCase("bmp", "scan.bmp", image_bytes("BMP", (20, 20)), "scan.bmp", "BMP images are not accepted"),
        UploadCase(
            "bmp-named-png", "scan.png", image_bytes("BMP", (20, 20)), "scan.png", "BMP images are not accepted"
        ),
        UploadCase("tiff", "fax.tif", image_bytes("TIFF", (20, 20)), "fax.tif", "TIFF images are not accepted"),
        UploadCase("rtl-override", "photo\u202egnp.exe", png, "photognp.exe", ""),
        UploadCase(
            "rtl-override-text", "invoice\u202efdp.png", TEXT_AS_PNG, "invoicefdp.png", "not an image we can read"
        ),
        UploadCase("control-characters", "bell\x07\x1b[31mred\t.png", png, "bell[31mred.png", ""),
        UploadCase("text-named-png", "notes.png", TEXT_AS_PNG, "notes.png", "not an image we can read"),
    ]
