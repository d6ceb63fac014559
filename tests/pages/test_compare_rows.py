"""The compare page's rows: answers rendered by the one renderer, a line diff as plain text, the
cost difference in words, and steps only one run has."""

from __future__ import annotations

from decimal import Decimal

from nyx_app.pages.runs.compare_state import difference, pair_row
from nyx_app.services.runs.compare import Side, StepPair


def side(text: str, cost: str = "0.01", reused: bool = False) -> Side:
    return Side("succeeded", "anthropic/claude-sonnet-4-6", text, len(text), Decimal(cost), 10, reused)


def test_a_changed_answer_gets_a_line_diff_and_hostile_text_stays_text() -> None:
    row = pair_row(StepPair("b", "Draft", side("one\ntwo\n<script>x</script>"), side("one\nthree")))
    assert not row.same
    assert sorted((d.kind, d.text) for d in row.diff) == [
        (" ", "one"),
        ("+", "three"),
        ("-", "<script>x</script>"),
        ("-", "two"),
    ]
    assert "<script>" not in row.a.html  # the one Markdown renderer escaped it


def test_a_reused_answer_says_so_and_a_missing_step_says_not_in_this_run() -> None:
    same = pair_row(StepPair("a", "List", side("x"), side("x", "0", reused=True)))
    assert same.same and same.diff == [] and same.b.note.startswith("Reused from the earlier run")
    assert same.b.cost == "$0.00"
    missing = pair_row(StepPair("d", "New", Side("", "", "", 0, Decimal(0), 0, False), side("y")))
    assert missing.a.note == "Not in this run." and missing.a.status == ""


def test_the_cost_difference_in_words() -> None:
    assert difference(Decimal("0.5"), Decimal("0.25")) == "$0.2500 less"
    assert difference(Decimal("0.25"), Decimal("0.5")) == "$0.2500 more"
    assert difference(Decimal("1"), Decimal("1")) == "the same cost"
