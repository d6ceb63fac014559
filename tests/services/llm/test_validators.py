"""Answer validators: what a workflow step can demand of an answer before accepting it."""

from __future__ import annotations

import pytest

from nyx_app.services.llm.validators import json_object, parse_json

needs_points = json_object(action_points=list)


def test_accepts_the_shape_even_inside_a_code_fence() -> None:
    needs_points('{"action_points": ["a"]}')
    needs_points('```json\n{"action_points": ["a"], "extra": 1}\n```')
    assert parse_json("```\n[1, 2]\n```") == [1, 2]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ('{"action_points": ["a", ', "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"points": []}', "'action_points' is missing"),
        ('{"action_points": "a"}', "wrong type"),
        ('{"action_points": []}', "'action_points' is empty"),
    ],
)
def test_rejects_with_a_reason(answer: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        needs_points(answer)
