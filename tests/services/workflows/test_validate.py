"""Saving a workflow checks it as a whole and names each problem at the step it concerns."""

from __future__ import annotations

import pytest

from nyx_app.services.workflows import builtin
from nyx_app.services.workflows.validate import DefinitionInvalid, Problem, check, levels


def problems_of(definition: dict, reachable: set[str] | None = None) -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as invalid:
        check(definition, reachable)
    return invalid.value.problems


@pytest.mark.parametrize("template", list(builtin.TEMPLATES.values()), ids=list(builtin.TEMPLATES))
def test_the_shipped_templates_are_valid(template: builtin.BuiltinTemplate) -> None:
    check(template.definition)


def test_the_flagship_plans_in_parallel_between_action_points_and_synthesis() -> None:
    assert levels(check(builtin.IMAGE_TO_IMPLEMENTATION.definition)) == [
        ["enrich"],
        ["action_points"],
        ["plan"],
        ["synthesis"],
        ["final"],
    ]


def test_unknown_references_are_named_at_their_step() -> None:
    found = problems_of({"steps": [{"key": "a", "prompt": "{{steps.nope.output}} {{ itme }} {{ item }}"}]})
    assert found == [
        Problem("a", "The prompt uses {{item}}, which exists only in a step that runs for each item."),
        Problem("a", "The prompt uses {{itme}}, which does not exist."),
        Problem("a", "The prompt refers to steps.nope, but there is no step 'nope'."),
    ]


def test_a_cycle_is_named_with_its_steps() -> None:
    found = problems_of(
        {
            "steps": [
                {"key": "a", "prompt": "{{steps.c.output}}"},
                {"key": "b", "prompt": "{{steps.a.output}}"},
                {"key": "c", "prompt": "x", "depends_on": ["b"]},
            ]
        }
    )
    assert found == [Problem("a", "These steps wait for each other in a circle: a → c → b → a.")]


def test_fan_out_over_a_text_step_is_refused() -> None:
    found = problems_of({"steps": [{"key": "a", "prompt": "x"}, {"key": "b", "prompt": "{{item}}", "for_each": "a"}]})
    assert found == [
        Problem(
            "b",
            "It runs for each item of 'a', but that step does not produce a JSON list (set its output to JSON list).",
        )
    ]


def test_a_model_the_workspace_cannot_reach_is_named() -> None:
    found = problems_of(
        {"steps": [{"key": "a", "prompt": "x", "model": "openai/gpt-5"}]}, {"anthropic/claude-sonnet-4-6"}
    )
    assert found == [
        Problem(
            "a",
            "The model openai/gpt-5 is not available to this workspace: add its provider in Settings → "
            "Providers, or pick another model.",
        )
    ]


def test_shape_errors_point_at_the_step_and_field() -> None:
    found = problems_of({"steps": [{"key": "Bad Key", "prompt": "x"}, {"key": "b", "prompt": "x", "temperature": 7}]})
    assert found == [
        Problem("Bad Key", "key: use lower-case letters, digits and _ (starting with a letter, at most 40)"),
        Problem("b", "temperature: Input should be less than or equal to 2"),
    ]


def test_review_steps_review_exactly_one_step_and_duplicates_are_refused() -> None:
    found = problems_of(
        {
            "steps": [
                {"key": "a", "prompt": "x"},
                {"key": "a", "prompt": "y"},
                {"key": "r", "kind": "review", "depends_on": []},
                {"key": "s", "prompt": ""},
            ]
        }
    )
    assert Problem("a", "Two steps are named 'a'; step keys must be unique.") in found
    assert Problem("r", "A review step reviews exactly one step: let it depend on that step only.") in found
    assert Problem("s", "Write a prompt for this step.") in found
    assert problems_of({"steps": []}) == [Problem("", "Add at least one step.")]


def test_a_step_may_only_speak_as_a_persona_of_the_workspace() -> None:
    known = "0b8f6a2e-1c1d-4e5f-9a7b-3c2d1e0f9a8b"
    definition = {"steps": [{"key": "a", "prompt": "Go", "persona": known}]}
    assert check(definition, None, {known}).steps[0].persona == known
    assert check(definition, None, None).steps[0].persona == known  # no persona check asked for
    with pytest.raises(DefinitionInvalid) as invalid:
        check(definition, None, set())
    assert invalid.value.problems == [
        Problem("a", "It speaks as a persona that does not exist (any more) in this workspace: pick another.")
    ]
    assert problems_of({"steps": [{"key": "a", "prompt": "Go", "persona": "rex"}]}) == [
        Problem("a", "persona: is not a persona id")
    ]


def test_an_output_schema_belongs_to_a_json_step_and_must_be_a_schema() -> None:
    found = problems_of(
        {
            "steps": [
                {"key": "a", "prompt": "x", "output_schema": {"type": "object"}},
                {"key": "b", "prompt": "x", "output": "json_object", "output_schema": {"type": 12}},
            ]
        }
    )
    assert [p.step for p in found] == ["a", "b"]
    assert found[0].message == "Only a step whose output is JSON can have an output schema."
    assert found[1].message.startswith("Output schema: Not a valid JSON Schema (at type): 12 is not valid")
    check({"steps": [{"key": "a", "prompt": "x", "output": "json_object", "output_schema": {"type": "object"}}]})
