"""The definitions of a discussion's runs, generated from the question, the personas and the
transcript so far. Pure functions.

Everything a person or a model wrote enters the prompts through ``templates.literal``: it is
shown to the model as written and never evaluated as a template. The transcript of earlier
rounds is trimmed from its start (the newest turns matter most; the current question is always
given whole) so a prompt stays within the definition's size limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nyx_app.models.discussion import MessageKind
from nyx_app.services.workflows.definition import PROMPT_MAX
from nyx_app.services.workflows.templates import literal

TRANSCRIPT_BUDGET = 30_000  # characters of a prompt (after escaping) given to earlier turns
QUESTION_BUDGET = 12_000
TRIMMED = "[… earlier parts of the discussion were left out to keep the prompt short]\n\n"
SYNTHESIS_KEY = "synthesis"
PLAN_KEY = "plan"


@dataclass(frozen=True, slots=True)
class Speaker:
    persona_id: str
    name: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


@dataclass(frozen=True, slots=True)
class Turn:
    """One finished message of the transcript."""

    kind: MessageKind
    round: int
    text: str
    speaker: str = ""  # "Name (role)" for answers


def turn_key(index: int) -> str:
    return f"turn_{index + 1}"


def transcript(turns: list[Turn]) -> str:
    blocks: list[str] = []
    for t in turns:
        if t.kind == MessageKind.QUESTION:
            heading = "Question" if t.round == 1 else f"Follow-up question (round {t.round})"
            blocks.append(f"## {heading}\n\n{t.text.strip()}")
        elif t.kind == MessageKind.ANSWER:
            blocks.append(f"### {t.speaker}\n\n{t.text.strip()}")
        elif t.kind == MessageKind.SYNTHESIS:
            blocks.append(f"## Best approach (synthesis)\n\n{t.text.strip()}")
        else:
            blocks.append(f"## Implementation plan\n\n{t.text.strip()}")
    return "\n\n".join(blocks)


def fit(text: str, budget: int) -> str:
    """``text`` as a literal template of at most ``budget`` characters, cut from its start."""
    escaped = literal(text)
    kept = len(text)
    while len(escaped) > budget and kept > 0:
        kept = int(kept * budget / len(escaped) * 0.9)
        escaped = literal(TRIMMED + text[len(text) - kept :])
    return escaped


def _team(speakers: list[Speaker]) -> str:
    return ", ".join(s.label for s in speakers)


def round_definition(
    *, round_no: int, question: str, earlier: str, speakers: list[Speaker], model: str
) -> dict[str, Any]:
    """One step per speaker, in order; each sees the question, the earlier rounds and the answers
    given before it in this round."""
    context = f"# The discussion so far\n\n{fit(earlier, TRANSCRIPT_BUDGET)}\n\n" if earlier.strip() else ""
    heading = "The question" if round_no == 1 else f"The follow-up question (round {round_no})"
    head = f"{context}# {heading}\n\n{fit(question, QUESTION_BUDGET)}\n\n"
    steps: list[dict[str, Any]] = []
    for index, speaker in enumerate(speakers):
        earlier_answers = "".join(
            f"## {literal(s.label)}\n\n{{{{ steps.{turn_key(i)}.output }}}}\n\n" for i, s in enumerate(speakers[:index])
        )
        answers = f"# Answers so far in this round\n\n{earlier_answers}" if earlier_answers else ""
        ask = f"---\nNow give your answer as {speaker.name}. " + (
            "Build on the answers above where they are right, challenge them where they are not, and add "
            "what they miss; do not repeat them."
            if index
            else "You speak first in this round."
        )
        steps.append(
            {
                "key": turn_key(index),
                "name": speaker.name,
                "persona": speaker.persona_id,
                "model": model,
                "system": literal(
                    f"You take part in an expert discussion with: {_team(speakers)}. You are {speaker.label}. "
                    "Answer from your own expertise and point of view, concretely and briefly (at most about "
                    "300 words unless the question needs more). Write Markdown."
                ),
                "prompt": head + answers + literal(ask),
                "depends_on": [turn_key(index - 1)] if index else [],
            }
        )
    return {"steps": steps}


def synthesis_definition(*, discussion: str, model: str) -> dict[str, Any]:
    prompt = (
        f"# The discussion\n\n{fit(discussion, PROMPT_MAX - 2_000)}\n\n---\n"
        "Write the best approach this discussion points to. Say where the experts agree, where they disagree "
        "and which view should win and why, then give the recommended approach as concrete, numbered steps. "
        "Write Markdown."
    )
    return {
        "steps": [
            {
                "key": SYNTHESIS_KEY,
                "name": "Best approach",
                "model": model,
                "system": "You moderate an expert discussion and distil it into one recommendation.",
                "prompt": prompt,
            }
        ]
    }


def plan_definition(*, discussion: str, synthesis: str, model: str) -> dict[str, Any]:
    prompt = (
        f"# The discussion\n\n{fit(discussion, TRANSCRIPT_BUDGET)}\n\n"
        f"# The best approach agreed on\n\n{fit(synthesis, QUESTION_BUDGET)}\n\n---\n"
        "Turn the best approach into an implementation plan a developer can follow: start with a level-1 "
        "heading naming the plan, then the goal, the numbered steps (for each: what to change, where, and how "
        "to know it is done), the tests to write, and the risks. Write Markdown."
    )
    return {
        "steps": [
            {
                "key": PLAN_KEY,
                "name": "Implementation plan",
                "model": model,
                "system": "You are a senior engineer who writes precise, practical implementation plans.",
                "prompt": prompt,
            }
        ]
    }
