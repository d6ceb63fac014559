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
