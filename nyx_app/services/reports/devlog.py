"""A dev-log post in the seeds' shape: a title, a one-line summary, tags, sections (what was done,
lessons learned, what's next), and the JSON block with ``thingsDone``, ``pains``, ``successes``
and ``techStack``.

The model answers with one JSON object (``DevlogPost``); its JSON Schema goes into the run's
step as ``output_schema``, so an answer that does not parse or does not fit is rejected by the
call path and the next model is tried. The Markdown is composed here from the validated object,
so the post always has every part, in order, and the JSON block always parses.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nyx_app.services.reports.text import demote, inline, one_line

TITLE_MAX = 160
SUMMARY_MAX = 400
ITEM_MAX = 300
SECTION_MAX = 20_000

_Item = Field(min_length=1, max_length=ITEM_MAX)


class Sections(BaseModel):
    model_config = ConfigDict(extra="ignore")

    done: str = Field(min_length=1, max_length=SECTION_MAX, description="What was done, in Markdown")
    lessons: str = Field(min_length=1, max_length=SECTION_MAX, description="Lessons learned, in Markdown")
    next: str = Field(min_length=1, max_length=SECTION_MAX, description="What's next, in Markdown")


class DevlogPost(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX, description="One line")
    tags: list[str] = Field(min_length=1, max_length=12)
    sections: Sections
    thingsDone: list[str] = Field(min_length=1, max_length=40)
    pains: list[str] = Field(max_length=40)
    successes: list[str] = Field(max_length=40)
    techStack: list[str] = Field(max_length=40)

    @field_validator("tags", "thingsDone", "pains", "successes", "techStack")
    @classmethod
    def _short_items(cls, items: list[str]) -> list[str]:
        for item in items:
            if not item.strip() or len(item) > ITEM_MAX:
                raise ValueError(f"every entry is a non-empty text of at most {ITEM_MAX} characters")
        return items

    def summary_block(self) -> dict[str, list[str]]:
        return {
            "thingsDone": self.thingsDone,
            "pains": self.pains,
            "successes": self.successes,
            "techStack": self.techStack,
        }


def _schema() -> dict[str, Any]:
    schema = DevlogPost.model_json_schema()
    # The same limits for list entries as the validator above, for the engine's JSON Schema check.
    item = {"type": "string", "minLength": 1, "maxLength": ITEM_MAX}
    for name in ("tags", "thingsDone", "pains", "successes", "techStack"):
        schema["properties"][name]["items"] = item
    return schema


SCHEMA = _schema()

SHAPE = """{
  "title": "a title for the post (at most 160 characters)",
  "summary": "one sentence that says what the post is about",
  "tags": ["3 to 8 short lower-case tags"],
  "sections": {
    "done": "Markdown: what was done, feature by feature, concretely",
    "lessons": "Markdown: lessons learned — the problems met, their causes and the takeaways",
    "next": "Markdown: what's next"
  },
  "thingsDone": ["one short line per thing done"],
  "pains": ["one short line per problem that hurt"],
  "successes": ["one short line per success"],
  "techStack": ["technologies involved"]
}"""


BRIEF_LABELS = {"thingsDone": "Done", "pains": "What hurt", "successes": "What went well", "techStack": "Stack"}


def brief(post: DevlogPost) -> str:
    """The session in brief, for readers: one line per kind, its entries joined (not a JSON block)."""
    lines = [
        f"- **{BRIEF_LABELS[key]}:** " + " · ".join(inline(item, 200) for item in items)
        for key, items in post.summary_block().items()
        if items
    ]
    return "\n".join(lines)


def compose(post: DevlogPost) -> str:
    """The post as Markdown, in the seeds' order, the session in brief last (its data stays as JSON
    in the report's record, ``data``)."""
    tags = " ".join(f"`{one_line(t, 40).replace('`', '')}`" for t in post.tags)
    parts = [
        f"# {inline(post.title)}",
        f"*{inline(post.summary)}*",
        f"**Tags:** {tags}",
        "## What was done",
        demote(post.sections.done.strip(), 2),
        "## Lessons learned",
        demote(post.sections.lessons.strip(), 2),
        "## What's next",
        demote(post.sections.next.strip(), 2),
        "## The session in brief",
        brief(post),
    ]
    return "\n\n".join(parts) + "\n"
