"""Workflow templates shipped with the product.

``image-to-implementation`` is the seeds' flagship: the project's notes and screenshots become a
JSON list of action points, then one implementation plan per action point (a fan-out whose calls
run side by side), a synthesis that checks the plans against each other, and a final prompt.
Action points name the notes (N1, N2 …) and images (N1.2 = note 1, image 2) they come from, so
the run page can link every plan back to its sources.

The flagship draws on ``{{insights}}`` by default: the approved review findings of earlier runs most
relevant to this run's notes (engine/knowledge.py), listed on the run page.

``analyse-review-prompt`` relies on auto-context: its prompts name no ``{{steps.…}}``, so each step
receives its dependencies' outputs as context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FLAGSHIP = "image-to-implementation"
ANALYSE_REVIEW = "analyse-review-prompt"


@dataclass(frozen=True, slots=True)
class BuiltinTemplate:
    key: str
    name: str
    description: str
    definition: dict[str, Any]


_ENRICH = """You are a senior engineer reading the notes of the project "{{project.name}}".
{{project.description}}

The notes follow. Screenshots are attached as images in the order they are listed; a reference like
[N1.2] means note 1, image 2.

{{notes}}

What earlier runs of this workspace taught (approved review findings, most relevant first):

{{insights}}

Describe what the notes and screenshots show: the features, the problems, the ideas, and anything a
developer would need to know. Keep every note and image reference ([N1], [N1.2]) next to what it
supports. Where an insight above applies, say so and cite it ([I1])."""

_ACTION_POINTS = """From the enriched notes below, list the concrete action points a developer should
implement. Answer with a JSON array only, no prose. Each element is an object:
{"title": "short imperative title", "description": "what and why, 2-4 sentences",
 "notes": ["N1"], "images": ["N1.2"]}
where "notes" and "images" list the references the action point comes from.

{{steps.enrich.output}}"""

_PLAN = """Write a detailed implementation plan for one action point of the project "{{project.name}}".

Action point {{item_index}}: {{item.title}}
{{item.description}}

What the notes show:
{{steps.enrich.output}}

Lessons from earlier runs that may apply (cite them as [I1] where you follow one):
{{insights}}

The plan names the files to change, the steps in order, code where it helps, the tests to add and
the commands to run. Start with the heading "Plan {{item_index}}: {{item.title}}"."""

_SYNTHESIS = """Below are implementation plans written independently for the action points of
"{{project.name}}". Check them against each other: conflicts, duplicated work, the order they should
be done in, and gaps no plan covers. Answer with a short report.

{% for plan in steps.plan.items %}
{{ plan }}

{% endfor %}"""

_FINAL = """Write the final implementation prompt for a coding assistant: the action points in the
order the synthesis recommends, each with the essentials of its plan, and the cross-cutting advice.

Synthesis:
{{steps.synthesis.output}}

Action points:
{{steps.action_points.output}}"""

IMAGE_TO_IMPLEMENTATION = BuiltinTemplate(
    key=FLAGSHIP,
    name="Image to implementation",
    description=(
        "Notes and screenshots → action points → one implementation plan per action point (in parallel) "
        "→ a synthesis that checks the plans against each other → a final implementation prompt."
    ),
    definition={
        "steps": [
            {"key": "enrich", "name": "Enrich notes and screenshots", "prompt": _ENRICH, "images": True},
            {
                "key": "action_points",
                "name": "Action points",
                "prompt": _ACTION_POINTS,
                "output": "json_list",
                "depends_on": ["enrich"],
            },
            {
                "key": "plan",
                "name": "Implementation plan",
                "prompt": _PLAN,
                "for_each": "action_points",
                "depends_on": ["enrich"],
            },
            {"key": "synthesis", "name": "Synthesis", "prompt": _SYNTHESIS, "depends_on": ["plan"]},
            {
                "key": "final",
                "name": "Final implementation prompt",
                "prompt": _FINAL,
                "depends_on": ["synthesis", "action_points"],
            },
        ]
    },
)

ANALYSE_REVIEW_PROMPT = BuiltinTemplate(
    key=ANALYSE_REVIEW,
    name="Analyse → review → generate prompt",
    description=(
        "An analysis of the project's notes and memory, a person's review (approve, edit or reject), "
        "then an implementation prompt built from the approved analysis."
    ),
    definition={
        "steps": [
            {
                "key": "analyse",
                "name": "Analyse",
                "prompt": (
                    'Analyse the project "{{project.name}}" from its notes and its memory entries: where it '
                    "stands, its problems and risks, and the most valuable next steps.\n\nNotes:\n{{notes}}"
                    "\n\nMemory:\n{{memory}}"
                ),
            },
            {
                "key": "review",
                "name": "Review the analysis",
                "kind": "review",
                "prompt": "Check the analysis: correct what is wrong, add what is missing, then approve.",
                "depends_on": ["analyse"],
            },
            {
                "key": "generate",
                "name": "Generate prompt",
                "prompt": (
                    "Write an implementation prompt for a coding assistant that addresses the most important "
                    "findings of the reviewed analysis, in order, with acceptance criteria."
                ),
                "depends_on": ["review"],
            },
        ]
    },
)

BLANK: dict[str, Any] = {
    "steps": [{"key": "draft", "name": "Draft", "prompt": "Summarise the notes of {{project.name}}:\n\n{{notes}}"}]
}

TEMPLATES: dict[str, BuiltinTemplate] = {t.key: t for t in (IMAGE_TO_IMPLEMENTATION, ANALYSE_REVIEW_PROMPT)}
