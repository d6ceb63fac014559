"""Ready-made answer validators for ``LlmRequest.validator``: raise ValueError to reject an answer,
so the call path tries the next model instead of passing on something unusable."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# Models often wrap JSON in a ```json fence even when told not to; that much is tolerated.
FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_json(text: str) -> Any:
    match = FENCE.match(text)
    try:
        return json.loads(match.group(1) if match else text)
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc.args[0]})") from None


def json_object(**fields: type | tuple[type, ...]) -> Callable[[str], None]:
    """An answer that is a JSON object with these fields of these types, e.g.
    ``json_object(action_points=list, title=str)``."""

    def validate(text: str) -> None:
        data = parse_json(text)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        for name, kind in fields.items():
            if name not in data:
                raise ValueError(f"the field {name!r} is missing")
            if not isinstance(data[name], kind):
                raise ValueError(f"the field {name!r} has the wrong type")
            if isinstance(data[name], list | str | dict) and not data[name]:
                raise ValueError(f"the field {name!r} is empty")

    return validate
