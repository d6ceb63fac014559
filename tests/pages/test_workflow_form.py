"""The editor's form: a definition round-trips through it, problems land at their steps, and an
estimate reads as ranges."""

from __future__ import annotations

from decimal import Decimal

from nyx_app.pages import workflow_form as wf
from nyx_app.services.workflows import builtin
from nyx_app.services.workflows.estimate import Estimate, StepEstimate
from nyx_app.services.workflows.validate import Problem, check, parse_definition, problems


def test_a_shipped_template_round_trips_through_the_form_unchanged() -> None:
    raw = builtin.IMAGE_TO_IMPLEMENTATION.definition
    forms = wf.from_definition(check(raw).model_dump(mode="json"))
    assert [f.key for f in forms] == ["enrich", "action_points", "plan", "synthesis", "final"]
    assert forms[2].for_each == "action_points" and forms[0].for_each == wf.NO_FAN_OUT and forms[0].images
    assert check(wf.to_definition(forms)) == check(raw)


def test_an_output_schema_round_trips_as_text_and_its_problems_land_at_the_step() -> None:
    """Saving in the editor kept no schema before (an imported one was dropped silently)."""
    schema = {"type": "object", "required": ["title"]}
    raw = {"steps": [{"key": "post", "prompt": "Write", "output": "json_object", "output_schema": schema}]}
    forms = wf.from_definition(check(raw).model_dump(mode="json"))
    assert forms[0].output_schema.startswith('{\n  "type": "object"')
    assert check(wf.to_definition(forms)) == check(raw)
    typed = [wf.StepForm(key="post", prompt="Write", output="json_object", output_schema='{"$ref": "file:///etc/x"}')]
    placed, general = wf.place_problems(typed, problems(parse_definition(wf.to_definition(typed))))
    assert general == [] and placed[0].problems[0].startswith("Output schema: $ref (at the top) may only point")


def test_numbers_stay_text_until_the_service_checks_them() -> None:
    forms = [
        wf.StepForm(key="a", prompt="Hi", temperature="0.7", max_tokens=""),
        wf.StepForm(key="b", prompt="Hi", temperature="hot"),
    ]
    raw = wf.to_definition(forms)
    assert raw["steps"][0]["temperature"] == "0.7" and raw["steps"][0]["max_tokens"] is None
    assert check({"steps": raw["steps"][:1]}).steps[0].temperature == 0.7


def test_problems_land_at_their_step_and_the_rest_at_the_top() -> None:
    forms = [wf.StepForm(key="a"), wf.StepForm(key="Bad Key"), wf.StepForm(key="")]
    placed, general = wf.place_problems(
        forms,
        [
            Problem("a", "Write a prompt for this step."),
            Problem("Bad Key", "key: use lower-case letters"),
            Problem("step 3", "key: use lower-case letters"),
            Problem("", "Add at least one step."),
            Problem("gone", "Something about a step no longer in the form."),
        ],
    )
    assert [f.problems for f in placed] == [
        ["Write a prompt for this step."],
        ["key: use lower-case letters"],
        ["key: use lower-case letters"],
    ]
    assert general == ["Add at least one step.", "gone: Something about a step no longer in the form."]
    assert wf.place_problems(placed, [])[0][0].problems == []  # a fixed step loses its message


def test_new_steps_get_a_free_key() -> None:
    assert wf.free_key([wf.StepForm(key="draft")]) == "step_2"
    assert wf.free_key([wf.StepForm(key="step_2"), wf.StepForm(key="x")]) == "step_3"


def test_the_estimate_reads_as_ranges_and_names_unpriced_models() -> None:
    est = Estimate(
        [
            StepEstimate("a", "A", "anthropic/claude-sonnet-4-6", 1, 1, 1000, 1500, Decimal("0.01"), Decimal("0.01")),
            StepEstimate("b", "B", "local/fake-small", 3, 20, 3000, 30000, None, None),
        ]
    )
    shown = wf.estimate_view(est)
    assert (shown.calls, shown.cost, shown.unpriced) == ("4\u201321 LLM calls", "$0.0100 + unknown", "local/fake-small")
    assert shown.unpriced_note == "Price unknown for local/fake-small: set it in Settings → Providers."
    assert shown.budget_note == ""
    assert shown.tokens == "up to \u224835,500 tokens"
    assert [(s.calls, s.cost) for s in shown.steps] == [("1", "$0.0100"), ("3\u201320", "price unknown")]
    assert wf.estimate_view(Estimate()).calls.startswith("no calls")
    budgeted = wf.estimate_view(Estimate(est.steps[1:], budget=Decimal("5"), left=Decimal("0.004")))
    assert budgeted.cost == "cost unknown"  # never "$0.00"
    assert budgeted.unpriced_note.endswith("Until then the monthly budget cannot limit calls to them.")
    assert budgeted.budget_note == "Budget left this month: $0.0040 of $5.00."


def test_a_workflow_row_says_its_counts_in_words_and_keeps_its_reasons() -> None:
    import uuid
    from datetime import UTC, datetime

    from nyx_app.pages.workflows.rows import workflow_row
    from nyx_app.services.llm.choice import ModelChoice
    from nyx_app.services.runs.readiness import NO_PROVIDER, Readiness
    from nyx_app.services.workflows.store import WorkflowSummary

    summary = WorkflowSummary(uuid.uuid4(), "Flow", "", 1, "", datetime(2026, 5, 1, tzinfo=UTC), 1)
    row = workflow_row(summary, "p1", Readiness(ModelChoice("", True), [NO_PROVIDER]))
    assert row.meta == "1 step · 1 run · updated 2026-05-01 00:00 UTC"
    assert [b.fix_url for b in row.blockers] == ["/settings/providers"]
