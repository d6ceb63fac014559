"""The generated definitions: valid workflows, each turn naming the turns before it, and text
written by people or models kept literal and within the prompt limit."""

from __future__ import annotations

import uuid

from nyx_app.models.discussion import MessageKind
from nyx_app.services.discussions import prompts
from nyx_app.services.discussions.prompts import Speaker, Turn
from nyx_app.services.workflows import templates
from nyx_app.services.workflows.definition import PROMPT_MAX
from nyx_app.services.workflows.validate import check, needs

MODEL = "anthropic/claude-sonnet-4-6"
SPEAKERS = [Speaker(str(uuid.uuid4()), f"Expert {n}", f"role {n}") for n in range(1, 4)]


def test_a_round_is_a_chain_of_turns_each_naming_the_answers_before_it() -> None:
    raw = prompts.round_definition(round_no=1, question="Why?", earlier="", speakers=SPEAKERS, model=MODEL)
    definition = check(raw, {MODEL}, {s.persona_id for s in SPEAKERS})
    assert [s.key for s in definition.steps] == ["turn_1", "turn_2", "turn_3"]
    assert [needs(s) for s in definition.steps] == [[], ["turn_1"], ["turn_2", "turn_1"]]
    assert [s.persona for s in definition.steps] == [s.persona_id for s in SPEAKERS]
    assert {s.model for s in definition.steps} == {MODEL}
    rendered = templates.render(
        definition.steps[2].prompt,
        {"steps": templates.Record({"turn_1": {"output": "A1"}, "turn_2": {"output": "A2"}})},
    )
    assert "# The question\n\nWhy?" in rendered
    assert "## Expert 1 (role 1)\n\nA1" in rendered and "## Expert 2 (role 2)\n\nA2" in rendered
    assert rendered.rstrip().endswith("do not repeat them.")


def test_literal_text_renders_exactly_as_written() -> None:
    for text in (
        "plain",
        "{{ 7 * 7 }}",
        "{% endraw %}{{ x }}",
        "a{{%b{%-c-%}{#d#}",
        "{%raw%}{% endraw %}{%",
        "ends with {",
        "{{ ''.__class__.__mro__ }}",
    ):
        assert templates.render("<" + templates.literal(text) + ">", {}) == f"<{text}>"
        assert templates.references(templates.literal(text)).names == frozenset()


def test_a_long_transcript_is_cut_from_its_start_to_fit() -> None:
    turns = [Turn(MessageKind.QUESTION, 1, "The original question")]
    turns += [Turn(MessageKind.ANSWER, 1, f"answer {n} " + "x{%" * 2_000, f"Expert {n}") for n in range(20)]
    transcript = prompts.transcript(turns)
    fitted = prompts.fit(transcript, prompts.TRANSCRIPT_BUDGET)
    assert len(fitted) <= prompts.TRANSCRIPT_BUDGET
    shown = templates.render(fitted, {})
    assert shown.startswith(prompts.TRIMMED) and shown.endswith(transcript[-200:])

    raw = prompts.round_definition(
        round_no=3, question="q{%" * 5_000, earlier=transcript, speakers=SPEAKERS, model=MODEL
    )
    definition = check(raw, None, None)  # within PROMPT_MAX, or pydantic would refuse it
    assert all(len(s.prompt) <= PROMPT_MAX for s in definition.steps)
