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
        (corpus.image_bytes("BMP"), "BMP images are not accepted"),
        (corpus.image_bytes("TIFF"), "TIFF images are not accepted"),
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


# --- metadata: nothing but the ICC profile survives re-encoding -------------------------------

SECRET = b"SECRET-4471"


def _gif_with_comment(frames: int = 1) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", (20, 20), (i * 60, 200, 0)) for i in range(frames)]
    images[0].save(out, "GIF", save_all=frames > 1, append_images=images[1:], comment=SECRET + b" gif comment")
    return out.getvalue()


def _jpeg_with_comment_and_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode() + " camera"  # Make
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, "JPEG", comment=SECRET + b" jpeg comment", exif=exif)
    return out.getvalue()


def _png_with_text_chunks_and_exif() -> bytes:
    from PIL import PngImagePlugin

    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", SECRET.decode() + " tEXt")
    chunks.add_text("Comment", SECRET.decode() + " zTXt", zip=True)
    chunks.add_itxt("Description", SECRET.decode() + " iTXt", lang="en")
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode() + " camera"
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), "teal").save(out, "PNG", pnginfo=chunks, exif=exif)
    return out.getvalue()


def _webp_with_exif_and_xmp() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode() + " camera"
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + SECRET + b" xmp</x:xmpmeta>"
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(out, "WEBP", exif=exif, xmp=xmp)
    return out.getvalue()


def _read(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    "make",
    [_gif_with_comment, lambda: _gif_with_comment(frames=3), _jpeg_with_comment_and_exif],
    ids=["gif-comment", "animated-gif-comment", "jpeg-com-segment"],
)
def test_gif_and_jpeg_comments_do_not_survive_reencoding(make) -> None:
    original = make()
    assert _read(original).info.get("comment", b"").startswith(SECRET)  # the test file really has one
    result = process_image(original, **LIMITS)
    assert "comment" not in _read(result.data).info
    assert SECRET not in result.data and SECRET not in result.thumb


def test_png_text_chunks_and_exif_do_not_survive_reencoding() -> None:
    original = _png_with_text_chunks_and_exif()
    assert set(_read(original).text) == {"Author", "Comment", "Description"}
    result = process_image(original, **LIMITS)
    png = _read(result.data)
    assert png.text == {} and not png.getexif() and "exif" not in png.info
    assert SECRET not in result.data and SECRET not in result.thumb


def test_webp_exif_and_xmp_do_not_survive_reencoding() -> None:
    original = _webp_with_exif_and_xmp()
    assert {"exif", "xmp"} <= set(_read(original).info)
    result = process_image(original, **LIMITS)
    webp = _read(result.data)
    assert not {"exif", "xmp"} & set(webp.info) and not webp.getexif()
    assert SECRET not in result.data and SECRET not in result.thumb


def test_jpeg_exif_gone_but_the_icc_profile_kept() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "purple").save(out, "JPEG", icc_profile=icc, exif=exif, comment=SECRET)
    result = process_image(out.getvalue(), **LIMITS)
    jpeg = _read(result.data)
    assert set(jpeg.info) & {"exif", "comment", "xmp"} == set()
    assert jpeg.info.get("icc_profile") == icc
    assert SECRET not in result.data


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
def test_png_is_reencoded_pixel_for_pixel_whatever_its_mode(mode: str) -> None:
    original = Image.effect_noise((64, 48), 60).convert("RGB").quantize(64).convert("RGBA")
    original.putalpha(Image.linear_gradient("L").resize((64, 48)))
    source = original.convert(mode) if mode != "I;16" else original.convert("L").convert("I;16")
    out = io.BytesIO()
    source.save(out, "PNG")
    result = process_image(out.getvalue(), **LIMITS)
    again = Image.open(io.BytesIO(result.data))
    assert again.format == "PNG" and again.mode == source.mode
    assert again.tobytes() == source.tobytes()


def test_a_colour_keyed_png_keeps_its_transparent_colour() -> None:
    source = Image.new("RGB", (20, 10), "white")
    source.paste((255, 0, 255), (0, 0, 10, 10))
    out = io.BytesIO()
    source.save(out, "PNG", transparency=(255, 0, 255))
    again = Image.open(io.BytesIO(process_image(out.getvalue(), **LIMITS).data))
    assert again.info.get("transparency") == (255, 0, 255)
    assert again.convert("RGBA").getpixel((0, 0))[3] == 0 and again.convert("RGBA").getpixel((15, 5))[3] == 255
