"""Dragging an image onto another: it takes that place, the others shift; stale names do nothing."""

from __future__ import annotations

from nyx_app.pages.note_gallery import dropped_order


def test_a_dragged_image_takes_the_targets_place() -> None:
    ids = ["a", "b", "c", "d"]
    assert dropped_order(ids, "a>c") == ["b", "c", "a", "d"]  # forwards: lands where c was
    assert dropped_order(ids, "d>b") == ["a", "d", "b", "c"]  # backwards: before b
    assert dropped_order(ids, "b>b") is None
    assert dropped_order(ids, "x>b") is None and dropped_order(ids, "a>") is None
