"""Prompt templates: Jinja2 in its sandbox, strict about unknown names, bounded in size.

Prompts are written by users, so they are hostile input to the server: a plain Jinja environment
lets ``{{ ''.__class__.__mro__ }}`` walk into Python internals. The sandbox refuses attributes
starting with ``_`` and unsafe callables; on top of it this module
- exposes only plain values (strings, numbers, lists, and read-only records for JSON objects);
- keeps the filter set to ones whose output cannot grow far past their input;
- refuses ``*``, ``**`` and ``%`` results that would be huge, and numbers past a limit in calls;
- stops rendering once the prompt passes ``MAX_PROMPT_CHARS`` (a loop can multiply its input).

Variables: ``{{steps.KEY.output}}`` (text), ``{{steps.KEY.items}}`` (a JSON list step's items),
``{{steps.KEY.data}}`` (a JSON step's parsed value), ``{{project.name}}``,
``{{project.description}}``, ``{{notes}}``, ``{{memory}}``, and inside a fan-out ``{{item}}`` and
``{{item_index}}`` (counting from 1).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import SandboxedEnvironment

MAX_PROMPT_CHARS = 2_000_000
# Jinja names the Python type in "no attribute" errors; users need the field, not our class path.
_NO_FIELD = re.compile(r"'[\w. ]+ object' has no attribute '([^']*)'")
MAX_NUMBER = 1_000_000
GLOBAL_NAMES = frozenset({"steps", "project", "notes", "memory"})
ITEM_NAMES = frozenset({"item", "item_index"})
STEP_FIELDS = frozenset({"output", "items", "data"})
SAFE_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "default",
    "d",
    "dictsort",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
    "batch",
    "slice",
)


class TemplateProblem(Exception):
    """The template cannot be rendered; the message says why, in words."""


class Record:
    """A JSON object inside a template: ``item.title`` and ``item["title"]`` read its fields, and
    printing it gives its JSON. Unlike a dict, no method name (``items``, ``keys``) shadows a field."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return wrap(self._data[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return wrap(self._data[key])

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __str__(self) -> str:
        return _dumps(self._data)

    __repr__ = __str__


class JsonList(list[Any]):
    """A JSON array inside a template: iterable like a list, printed as JSON."""

    def __str__(self) -> str:
        return _dumps(unwrap(self))

    __repr__ = __str__


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Record(value)
    if isinstance(value, list) and not isinstance(value, JsonList):
        return JsonList(wrap(v) for v in value)
    return value


def unwrap(value: Any) -> Any:
    if isinstance(value, Record):
        return {k: unwrap(v) for k, v in value._data.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def _tojson(value: Any) -> str:
    return _dumps(unwrap(value))


@dataclass(frozen=True, slots=True)
class StepValues:
    output: str = ""
    items: list[Any] = field(default_factory=list)
    data: Any = None


def step_values(output: str, data: Any) -> StepValues:
    items = wrap(data) if isinstance(data, list) else JsonList()
    return StepValues(output=output, items=items, data=wrap(data))


class _Binops(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "%":
            if isinstance(left, str):
                raise SecurityError("the % operator on text is not available in prompts")
            return left % right
        if operator_name == "**":
            if abs(right) > 64 or abs(left) > MAX_NUMBER:
                raise SecurityError("numbers that large are not available in prompts")
            return left**right
        size = (
            len(left) * right
            if isinstance(left, str | list)
            else len(right) * left
            if isinstance(right, str | list)
            else 0
        )
        if size > MAX_PROMPT_CHARS:
            raise SecurityError("a repeated text that long is not available in prompts")
        return operator.mul(left, right)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
                raise SecurityError("numbers that large are not available in prompts")
        return super().call(__context, __obj, *args, **kwargs)


def _environment() -> SandboxedEnvironment:
    env = _Binops(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS if name in env.filters}
    env.filters["tojson"] = _tojson
    env.globals = {"range": env.globals["range"]}
    return env


ENV = _environment()


@dataclass(frozen=True, slots=True)
class References:
    """What a template refers to: step fields as (key, field), and other top-level names."""

    steps: tuple[tuple[str, str], ...]
    names: frozenset[str]

    @property
    def step_keys(self) -> list[str]:
        return list(dict.fromkeys(key for key, _ in self.steps))


def _step_ref(node: nodes.Node) -> str | None:
    """``steps.KEY`` or ``steps["KEY"]`` → KEY."""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "steps":
        return str(node.attr)
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "steps"
        and isinstance(node.arg, nodes.Const)
    ):
        return str(node.arg.value)
    return None


@lru_cache(maxsize=512)
def parse(source: str) -> nodes.Template:
    """Parsed once per distinct template (the engine asks again for every step it schedules)."""
    try:
        return ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"Template error on line {exc.lineno}: {_sentence(exc.message)}") from None


@lru_cache(maxsize=512)
def references(source: str) -> References:
    """Every ``steps.KEY.FIELD`` a template uses, and its other top-level names.

    ``steps.KEY`` without a field is reported with field "", and ``steps`` used as a whole with
    key "": validation turns both into a message.
    """
    ast = parse(source)
    found: list[tuple[str, str]] = []
    with_field: set[int] = set()  # steps.KEY nodes that sit under a field access
    under_access: set[int] = set()  # Name nodes that are the object of an access
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        if isinstance(node.node, nodes.Name):
            under_access.add(id(node.node))
        key = _step_ref(node.node)
        if key is not None:
            with_field.add(id(node.node))
            field_name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", "")
            found.append((key, str(field_name)))
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        key = _step_ref(node)
        if key is not None and id(node) not in with_field:
            found.append((key, ""))
    if any(n.name == "steps" and id(n) not in under_access for n in ast.find_all(nodes.Name)):
        found.append(("", ""))
    return References(tuple(dict.fromkeys(found)), frozenset(find_undeclared_variables(ast)))


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return ENV.from_string(parse(source))


def render(source: str, variables: Mapping[str, Any]) -> str:
    """Render a prompt. Raises TemplateProblem with a message in words."""
    try:
        template = _compiled(source)
    except TemplateSyntaxError as exc:  # e.g. an unknown filter, found when compiling
        raise TemplateProblem(f"Template error on line {exc.lineno}: {_sentence(exc.message)}") from None
    parts: list[str] = []
    size = 0
    try:
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_PROMPT_CHARS:
                raise TemplateProblem(f"The prompt grew past {MAX_PROMPT_CHARS:,} characters; shorten the template.")
            parts.append(chunk)
    except UndefinedError as exc:
        message = _NO_FIELD.sub(r"this value has no field '\1'", exc.message or "")
        raise TemplateProblem(f"The template uses something that does not exist: {_sentence(message)}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"The template tried something prompts may not do: {_sentence(str(exc))}") from None
    except TemplateProblem:
        raise
    except Exception as exc:  # a filter given the wrong kind of value, a division by zero, …
        raise TemplateProblem(f"The template could not be rendered: {_sentence(str(exc))}") from None
    return "".join(parts)


def literal(text: str) -> str:
    """A template that renders to exactly ``text``: user or model text placed into a generated
    prompt is shown to the model, never evaluated. Inside ``{% raw %}`` only ``{%`` can end the
    block, so each ``{%`` of the text is emitted as a string expression between raw blocks."""
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        return text
    return "{{ '{%' }}".join(f"{{% raw %}}{part}{{% endraw %}}" for part in text.split("{%"))


def _sentence(message: str | None) -> str:
    return (message or "unknown problem").rstrip(".") + "."
