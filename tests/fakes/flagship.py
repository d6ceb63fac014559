"""A fake model that plays every step of the shipped workflows, recognising each by its prompt.

Shared by service tests, browser tests and benchmarks, so all of them run the real templates.
"""

from __future__ import annotations

import json
import re

PLAN_HEADING = re.compile(r"Action point (\d+): (.+)")


def action_points(count: int, *, note_ref: str = "N1", image_ref: str = "N1.1") -> str:
    return json.dumps(
        [
            {
                "title": f"Action {i}",
                "description": f"Do thing {i} the notes ask for.",
                "notes": [note_ref],
                "images": [image_ref],
            }
            for i in range(1, count + 1)
        ]
    )


def flagship(points: int = 13, plan_words: int = 40):
    """fn(prompt) → the answer a good model would give to that step of the shipped templates."""

    def answer(prompt: str) -> str:
        if "list the concrete action points" in prompt:
            return action_points(points)
        if prompt.startswith("Write a detailed implementation plan"):
            match = PLAN_HEADING.search(prompt)
            number, title = (match.group(1), match.group(2).strip()) if match else ("?", "?")
            body = " ".join(f"step{n}" for n in range(plan_words))
            return f"Plan {number}: {title}\n\nFiles: app.py. Steps: {body}. Tests: test_app.py."
        if "Check them against each other" in prompt:
            return "Synthesis: the plans fit together; do Action 1 first."
        if "final implementation prompt" in prompt:
            return "Final implementation prompt: implement the action points in order."
        if "Describe what the notes and screenshots show" in prompt:
            return "Enriched: the notes describe a login page [N1] and its screenshot [N1.1]."
        if prompt.startswith("Analyse the project"):
            return "Analysis: the project needs a login page."
        if prompt.startswith("Write an implementation prompt"):
            return "Implementation prompt based on the reviewed analysis."
        return "An answer."

    return answer
