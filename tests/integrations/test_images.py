import io

import pytest
from PIL import Image

from nyx_app.integrations.images import ImageRejected, display_name, process_image
from tests.fakes import images as corpus

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}


@pytest.mark.parametrize(
    ("fmt", "content_type", "ext"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_each_accepted_format_is_reencoded_in_kind_with_a_webp_thumbnail(fmt, content_type, ext) -> None:
    result = process_image(corpus.image_bytes(fmt, (640, 480)), **LIMITS)
    assert (result.content_type, result.ext, result.width, result.height) == (content_type, ext, 640, 480)
    assert Image.open(io.BytesIO(result.data)).format == fmt
    thumb = Image.open(io.BytesIO(result.thumb))
    assert thumb.format == "WEBP"
    assert max(thumb.size) == 320


def test_reencoding_strips_exif_including_gps() -> None:
    original = corpus.jpeg_with_gps_exif()
    assert Image.open(io.BytesIO(original)).getexif()
    result = process_image(original, **LIMITS)
    assert not Image.open(io.BytesIO(result.data)).getexif()
    assert b"SpyCam" not in result.data


def test_the_colour_profile_is_kept_so_wide_gamut_photos_keep_their_colours() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "purple").save(out, "JPEG", icc_profile=icc)
    result = process_image(out.getvalue(), **LIMITS)
    assert Image.open(io.BytesIO(result.data)).info.get("icc_profile") == icc
    assert Image.open(io.BytesIO(result.thumb)).info.get("icc_profile") == icc


def test_jpeg_is_turned_upright_before_its_orientation_tag_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "blue").save(out, "JPEG", exif=exif)
    result = process_image(out.getvalue(), **LIMITS)
    assert (result.width, result.height) == (20, 40)


def test_animated_gif_keeps_its_frames() -> None:
    result = process_image(corpus.animated_gif(frames=4), **LIMITS)
    assert getattr(Image.open(io.BytesIO(result.data)), "n_frames", 1) == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (corpus.TEXT_AS_PNG, "not an image we can read"),
        (corpus.SVG_WITH_SCRIPT, "SVG images are not accepted"),
        (corpus.truncated_png(), "damaged or incomplete"),
        (corpus.image_bytes("BMP"), "not an image we can read"),
        (corpus.image_bytes("TIFF"), "not an image we can read"),
    ],
    ids=["empty", "text-renamed-png", "svg-with-script", "truncated-png", "bmp", "tiff"],
)
def test_bad_files_are_rejected_with_a_message(data: bytes, message: str) -> None:
    with pytest.raises(ImageRejected, match=message):
        process_image(data, **LIMITS)


def test_decompression_bomb_is_rejected_from_its_header_without_decoding() -> None:
    bomb = corpus.png_bomb(8000, 8000)  # 64 megapixels in a few kilobytes
    assert len(bomb) < 50_000
    with pytest.raises(ImageRejected, match="8000 x 8000 pixels; at most 40 megapixels"):
        process_image(bomb, **LIMITS)


def test_huge_bomb_tripping_pillows_own_limit_is_a_rejection_too() -> None:
    bomb = corpus.png_bomb(20_000, 20_000)  # 400 megapixels, Pillow refuses it while opening
    assert len(bomb) < 200_000
    with pytest.raises(ImageRejected, match="too large"):
        process_image(bomb, **LIMITS)


def test_animation_counts_every_frame_against_the_pixel_limit() -> None:
    with pytest.raises(ImageRejected, match="frames"):
        process_image(corpus.animated_gif(frames=5, size=(100, 100)), max_bytes=10**6, max_pixels=40_000)


def test_oversize_file_is_rejected_before_decoding() -> None:
    with pytest.raises(ImageRejected, match=r"larger than 1 MB"):
        process_image(b"\x89PNG" + b"\0" * (1024 * 1024), max_bytes=1024 * 1024, max_pixels=10**6)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("Übersicht café 日本 🖼.png", "Übersicht café 日本 🖼.png"),
        ("a\x00b\nc.png", "abc.png"),
        ("", "unnamed file"),
    ],
)
def test_uploaded_names_are_only_shown_and_lose_their_directories(name: str, shown: str) -> None:
    assert display_name(name) == shown
