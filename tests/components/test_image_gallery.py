from nyx_app.components.image_gallery import split_progress


def test_files_fill_up_one_after_another() -> None:
    sizes = [100, 300, 100]
    assert split_progress(sizes, 0.0) == [0, 0, 0]
    assert split_progress(sizes, 0.1) == [50, 0, 0]
    assert split_progress(sizes, 0.5) == [100, 50, 0]
    assert split_progress(sizes, 0.9) == [100, 100, 50]
    assert split_progress(sizes, 1.0) == [100, 100, 100]


def test_empty_files_are_done_at_once_and_odd_fractions_are_clamped() -> None:
    assert split_progress([0, 10], 0.0) == [100, 0]
    assert split_progress([10], 1.7) == [100]
    assert split_progress([10], -1) == [0]
    assert split_progress([], 0.5) == []


def test_what_the_browser_refused_is_said_in_words() -> None:
    from nyx_app.components.image_gallery import refusal_message

    too_many = [{"name": f"{i}.png", "size": 1, "codes": ["too-many-files"]} for i in range(21)]
    assert refusal_message(too_many) == "You dropped 21 files; at most 20 at a time. Nothing was uploaded."
    big = [{"name": "../../huge.png", "size": 11 << 20, "codes": ["file-too-large"]}]
    assert refusal_message(big) == "Not uploaded: huge.png (more than 10 MB; that is the limit per image)."
    odd = [{"name": "notes.pdf", "codes": ["file-invalid-type"]}, {"name": "x.bmp", "codes": ["file-invalid-type"]}]
    assert refusal_message(odd) == "Not uploaded: notes.pdf, x.bmp (not a PNG, JPEG, WebP or GIF image)."
