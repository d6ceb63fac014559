"""A workflow definition is data: named steps, each a prompt template with a model and options.

Validated with pydantic for shape (types, lengths, ranges); the checks that need the whole graph
(references, cycles, fan-out sources, reachable models) live in ``validate.py`` and report
problems per step, in words, so the editor can show each next to the step it concerns.
"""

from __future__ import annotations

import json
import re
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nyx_app.services.workflows import schemas

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STEP_NAME_MAX = 120
PROMPT_MAX = 50_000
STEPS_MAX = 40
MAX_TOKENS_LIMIT = 64_000


class StepKind(StrEnum):
    LLM = "llm"
    REVIEW = "review"  # the run pauses until a person approves, edits or rejects the step it reviews
    # Built-in work of the app (a repository sync): engine/toolbox.py names them. Never in a
    # workflow a person writes (validation refuses it); only services build such definitions.
    TOOL = "tool"


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON_LIST = "json_list"  # a JSON array: later steps can fan out over its items
    JSON_OBJECT = "json_object"


class StepDef(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(description="How prompts refer to this step: {{steps.KEY.output}}")
    name: str = Field(default="", max_length=STEP_NAME_MAX)
    kind: StepKind = StepKind.LLM
    prompt: str = Field(default="", max_length=PROMPT_MAX)
    system: str = Field(default="", max_length=PROMPT_MAX)
    model: str = Field(default="", max_length=200, description='"provider/model"; empty: the project\'s model')
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    depends_on: list[str] = Field(default_factory=list)
    for_each: str = Field(default="", description="Run once per item of this step's JSON list")
    output: OutputFormat = OutputFormat.TEXT
    # A JSON Schema a JSON answer must satisfy; an answer that does not is rejected like one that
    # does not parse, and the next model is tried (generated definitions use it, e.g. dev-log posts).
    output_schema: dict[str, Any] | None = None
    # Send the project's note images along (vision models see them; others get their descriptions).
    images: bool = False
    # A persona (its id) the step speaks as: its system prompt leads the step's, and the step
    # counts as one use of the persona (XP). Validation checks it exists in the workspace.
    persona: str = Field(default="", max_length=36)
    # The built-in a TOOL step runs (engine/toolbox.py).
    tool: str = Field(default="", max_length=40)

    @field_validator("name", "prompt", "system", "model", "for_each")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # PostgreSQL cannot store U+0000 in text or JSON: refuse it with a message, not a crash.
        if "\x00" in value:
            raise ValueError("contains a NUL character (\\0); remove it")
        return value

    @field_validator("output_schema", mode="before")
    @classmethod
    def _schema_text(cls, value: Any) -> Any:
        """The editor sends the schema as the JSON text the user typed ("" for none)."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        if len(value) > 2 * schemas.MAX_CHARS:
            raise ValueError(f"is longer than {schemas.MAX_CHARS:,} characters; shorten it")
        try:
            parsed = json.loads(value)
        except RecursionError:
            raise ValueError(f"is nested more than {schemas.MAX_DEPTH} levels deep") from None
        except ValueError as exc:
            raise ValueError(f"is not valid JSON ({exc.args[0]})") from None
        if not schemas.depth_within(parsed, schemas.MAX_DEPTH):
            raise ValueError(f"is nested more than {schemas.MAX_DEPTH} levels deep") from None
        return parsed

    @field_validator("persona")
    @classmethod
    def _persona(cls, value: str) -> str:
        if value:
            try:
                return str(uuid.UUID(value))
            except ValueError:
                raise ValueError("is not a persona id") from None
        return value

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY_RE.match(value):
            raise ValueError("use lower-case letters, digits and _ (starting with a letter, at most 40)")
        return value

    @property
    def title(self) -> str:
        return self.name or self.key.replace("_", " ").capitalize()

    @property
    def needs(self) -> list[str]:
        """Every step this one waits for: its dependencies and its fan-out source."""
        return list(dict.fromkeys([*self.depends_on, *([self.for_each] if self.for_each else [])]))


class WorkflowDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[StepDef] = Field(default_factory=list, max_length=STEPS_MAX)

    def step(self, key: str) -> StepDef | None:
        return next((s for s in self.steps if s.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.steps]
