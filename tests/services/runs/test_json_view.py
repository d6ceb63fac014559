"""A JSON answer laid out for reading: the action points as a table, plain lists as lists, objects
as field tables — and hostile values kept inside their cell, through the one renderer."""

from __future__ import annotations

import json

import pytest

from nyx_app.integrations import markdown
from nyx_app.services.runs import json_view
from tests.fakes.flagship import action_points


def test_action_points_become_a_table_with_a_row_each() -> None:
    table = json_view.readable(action_points(3))
    lines = table.splitlines()
    assert lines[0] == "| # | Title | Description | Notes | Images |"
    assert lines[2] == "| 1 | Action 1 | Do thing 1 the notes ask for. | N1 | N1.1 |"
    assert len(lines) == 5
    html = markdown.render(table)
    assert html.count("<tr>") == 4 and "<th>Description</th>" in html


def test_plain_lists_objects_and_what_is_not_json() -> None:
    assert json_view.readable('["a", 2, true, null]') == "1. a\n2. 2\n3. yes\n4. (empty)"
    assert json_view.readable('{"title": "Post", "tags": ["a", "b"]}') == (
        "| Field | Value |\n|---|---|\n| Title | Post |\n| Tags | a, b |"
    )
    assert json_view.readable("[]") == "*An empty list.*"
    for text in ("not json", '"a string"', "42", '[{"a": 1}, 2]', "[{}]"):
        assert json_view.readable(text) == ""


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        "a | b | c\n\n# heading\n\n| x |",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "back\\|slash",
    ],
)
def test_hostile_values_stay_in_their_cell_and_never_become_html(value: str) -> None:
    table = json_view.readable(json.dumps([{"title": value, "description": "d"}]))
    body = table.splitlines()[2]
    assert body.count(" | ") == 2  # still three cells: #, title, description
    html = markdown.render(table)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "<h1" not in html and html.count("<tr>") == 2


def test_long_cells_and_long_lists_are_cut_with_a_pointer_to_the_raw_json() -> None:
    long = json_view.readable(json.dumps([{"t": "x" * 5000}]))
    assert len(long) < 1000 and long.rstrip(" |").endswith("…")
    many = json_view.readable(json.dumps(list(range(json_view.ROWS_MAX + 7))))
    assert many.endswith("*… and 7 more (see the raw JSON).*")
