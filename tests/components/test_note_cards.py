from datetime import UTC, datetime, timedelta

from nyx_app.components.note_cards import time_ago
from nyx_app.components.note_editor import image_markdown

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_times_in_the_list_read_like_a_person_would_say_them() -> None:
    ago = lambda **delta: time_ago(NOW - timedelta(**delta), NOW)  # noqa: E731
    assert [ago(seconds=5), ago(minutes=12), ago(hours=3), ago(days=1), ago(days=4)] == [
        "just now",
        "12 min ago",
        "3 h ago",
        "yesterday",
        "4 days ago",
    ]
    assert ago(days=30) == "Oct 24"
    assert ago(days=400) == "Oct 19, 2025"
    assert time_ago(NOW + timedelta(seconds=3), NOW) == "just now"  # a clock a little ahead


def test_a_pasted_image_is_referenced_by_its_name() -> None:
    assert image_markdown("Screenshot 2026-11-23.png", "/api/images/x") == "![Screenshot 2026-11-23](/api/images/x)"
    assert image_markdown("[evil](x).png", "/api/images/x") == "![evil(x)](/api/images/x)"
    assert image_markdown(".png", "/api/images/x") == "![image](/api/images/x)"
