"""Output schemas are data: refused at save when they reach outside the document, nest or grow past
the limits, loop, or hold a pattern RE2 cannot run; validated at run time with a registry that
retrieves nothing and with RE2. A loopback listener proves no reference is ever fetched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from nyx_app.services.workflows import schemas
from nyx_app.services.workflows.validate import DefinitionInvalid, check
from tests.fakes.listener import Listener


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@pytest.fixture
def secret_file(tmp_path: Path) -> str:
    path = tmp_path / "secret.json"
    path.write_text('{"const": "SECRET-FROM-FILE"}')
    return path.as_uri()


def nested(levels: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels):
        node["items"] = {}
        node = node["items"]
    return root


def hostile_refs(listener_url: str, file_url: str) -> dict[str, dict[str, Any]]:
    return {
        "file": {"$ref": file_url},
        "loopback listener": {"type": "object", "properties": {"a": {"$ref": listener_url + "/schema.json"}}},
        "the app's own URL": {"$ref": "http://localhost:3000/api/ping"},
        "relative (resolved against a base)": {"$ref": "other.json#/a"},
        "under $id": {"$id": listener_url + "/", "properties": {"a": {"$ref": "#/$defs/x"}}, "$defs": {"x": {}}},
        "dynamic": {"$dynamicRef": listener_url + "/x"},
        "in $defs, reached from the top": {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": file_url}}},
        "in allOf": {"allOf": [{"$ref": listener_url}]},
        "another draft's meta-schema": {"$schema": listener_url + "/meta"},
    }


def test_every_reference_outside_the_document_is_refused_in_words(listener: Listener, secret_file: str) -> None:
    for label, schema in hostile_refs(listener.url, secret_file).items():
        found = schemas.problems(schema)
        assert found, label
        assert all("SECRET" not in message for message in found), label
        assert any("$ref" in m or "$id" in m or "$dynamicRef" in m or "$schema" in m for m in found), (label, found)
    assert listener.hits == []


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ({"$ref": "#"}, "A reference loop (at the top) never reaches into the answer"),
        ({"allOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"anyOf": [{"$ref": "#"}]}}}, "A reference loop"),
        ({"not": {"$ref": "#/not"}}, "A reference loop (at /not)"),
        (nested(3000), "Nested more than 32 levels deep"),
        ({"enum": ["x" * 60_000]}, "Longer than 50,000 characters"),
        ({"type": "string", "pattern": "(a)\\1"}, "cannot be used: invalid escape sequence"),
        ({"patternProperties": {"^(?=a)": {}}}, "The patternProperties key '^(?=a)' (at the top) cannot be used"),
        ({"type": "nope"}, "Not a valid JSON Schema (at type)"),
        ({"$ref": "#/$defs/missing"}, "points at nothing in this schema"),
        ({"const": "(", "format": "regex", "properties": {"p": {"pattern": "a{2000}"}}}, "cannot be used"),
    ],
)
def test_refusals_say_what_and_where(schema: dict[str, Any], says: str) -> None:
    found = schemas.problems(schema)
    assert found and says in found[0], found


def test_what_real_schemas_use_passes() -> None:
    tree = {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "pattern": "^(a+)+$", "format": "regex"},
            "children": {"type": "array", "items": {"$ref": "#"}},  # recursion that consumes the answer
            "tag": {"$ref": "#/$defs/tag"},
            "$ref": {"type": "string"},  # a property *named* $ref is data, not a reference
        },
        "$defs": {"tag": {"enum": ["a", "b"]}},
        "$schema": schemas.DIALECT,
    }
    assert schemas.problems(tree) == []
    assert schemas.first_error(tree, {"title": "aaa", "children": [{"title": "a"}], "tag": "a"}) is None
    assert schemas.first_error(tree, {"title": "aaa", "children": [{"title": 3}]}) == (
        "children/0/title: 3 is not of type 'string'"
    )


def test_a_catastrophic_pattern_is_matched_in_linear_time() -> None:
    """^(a+)+$ took 8.8 s against 27 characters with Python's re (x4 per 2 more); RE2 does not
    backtrack. Also through additionalProperties, which searches patternProperties keys itself."""
    answer = "a" * 40 + "!"  # 2**40 steps for a backtracking engine
    assert "does not match '^(a+)+$'" in (schemas.first_error({"pattern": "^(a+)+$"}, answer) or "")
    schema = {"type": "object", "patternProperties": {"^(a+)+$": {}}, "additionalProperties": False}
    assert "does not match any of the regexes" in (schemas.first_error(schema, {answer: 1}) or "")
    schema = {"type": "object", "patternProperties": {"^(a+)+$": {}}, "unevaluatedProperties": False}
    assert "Unevaluated properties are not allowed" in (schemas.first_error(schema, {answer: 1}) or "")


def test_a_schema_written_past_the_check_still_fetches_nothing(listener: Listener, secret_file: str) -> None:
    """The run-time validator refuses to retrieve: a stored schema nobody checked cannot make a
    request or read a file, it only fails."""
    for schema in ({"$ref": listener.url + "/schema.json"}, {"$ref": secret_file}):
        with pytest.raises(Unresolvable):
            schemas.validator(schema).validate("anything")
    assert listener.hits == []


def _step_problem(schema: Any) -> str:
    with pytest.raises(DefinitionInvalid) as invalid:
        check({"steps": [{"key": "a", "prompt": "x", "output": "json_object", "output_schema": schema}]})
    [problem] = invalid.value.problems
    assert problem.step == "a"
    return problem.message


def test_the_definition_check_puts_schema_problems_at_the_step(listener: Listener) -> None:
    assert _step_problem({"$ref": listener.url}).startswith(
        "Output schema: $ref (at the top) may only point inside this schema"
    )
    assert _step_problem('{"type": "object"').startswith("output_schema: is not valid JSON (Expecting ',' delimiter")
    assert _step_problem("[" * 3000 + "]" * 3000) == "output_schema: is nested more than 32 levels deep"
    assert _step_problem("[" * 100_000 + "]" * 100_000) == "output_schema: is longer than 50,000 characters; shorten it"
    assert listener.hits == []


def test_the_editor_sends_schema_text_and_gets_it_back_parsed() -> None:
    definition = check(
        {"steps": [{"key": "a", "prompt": "x", "output": "json_list", "output_schema": ' {"type": "array"} '}]}
    )
    assert definition.steps[0].output_schema == {"type": "array"}
    blank = check({"steps": [{"key": "a", "prompt": "x", "output": "json_list", "output_schema": "  "}]})
    assert blank.steps[0].output_schema is None
