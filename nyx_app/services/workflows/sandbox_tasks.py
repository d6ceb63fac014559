"""What runs inside a sandbox process (sandbox.py starts them): rendering a prompt template and
checking an answer against a step's output schema, with soft limits of their own on top of the
process's hard ones. Each returns ``(True, value)`` or ``(False, message in words)`` rather than
raising, so nothing but plain data crosses the process boundary.

Kept light on imports (Jinja2, jsonschema, RE2): a killed process is replaced by a fresh fork of a
server that has imported only this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nyx_app.services.llm.validators import parse_json
from nyx_app.services.workflows import schemas, templates
from nyx_app.services.workflows.definition import OutputFormat
from nyx_app.services.workflows.template_env import Budget

ANSWER_MAX_DEPTH = 100


def render(source: str, variables: Mapping[str, Any], budget: Budget) -> tuple[bool, str]:
    try:
        return True, templates.render(source, variables, budget)
    except templates.TemplateProblem as problem:
        return False, str(problem)


def check_answer(output: str, schema: dict[str, Any] | None, text: str) -> tuple[bool, str]:
    """An answer that is not the JSON the step promises → (False, why)."""
    try:
        _check(output, schema, text)
        return True, ""
    except ValueError as exc:
        return False, str(exc)
    except schemas.SchemaProblem as exc:
        return False, str(exc)
    except RecursionError:
        return False, "checking it against the output schema went too deep (a schema that refers to itself)"
    except MemoryError:
        return False, "checking it against the output schema needed more memory than allowed"


def _check(output: str, schema: dict[str, Any] | None, text: str) -> None:
    try:
        data = parse_json(text)
    except RecursionError:
        raise ValueError(f"the JSON is nested more than {ANSWER_MAX_DEPTH} levels deep") from None
    check_shape(output, data)
    if schema is not None:
        schemas.check(schema)  # a schema written past the editor is refused, never followed
        error = schemas.first_error(schema, data)
        if error is not None:
            raise ValueError(error)


def check_shape(output: str, data: Any) -> None:
    """The checks every JSON step makes, schema or not (cheap: also used in-process)."""
    if not schemas.depth_within(data, ANSWER_MAX_DEPTH):
        raise ValueError(f"the JSON is nested more than {ANSWER_MAX_DEPTH} levels deep")
    if output == OutputFormat.JSON_LIST and (not isinstance(data, list) or not data):
        raise ValueError("expected a non-empty JSON array")
    if output == OutputFormat.JSON_OBJECT and not isinstance(data, dict):
        raise ValueError("expected a JSON object")
