"""Prompt templates: Jinja2 in its sandbox, strict about unknown names, bounded in size.

Prompts are written by users, so they are hostile input to the server: a plain Jinja environment
lets ``{{ ''.__class__.__mro__ }}`` walk into Python internals. The sandbox refuses attributes
starting with ``_`` and unsafe callables; template_env.py bounds everything that multiplies work
or memory (loops and macro calls counted, amplifying operations checked against the output budget);
on top of it this module
- exposes only plain values (strings, numbers, lists, and read-only records for JSON objects);
- stops rendering once the prompt passes the budget's characters (2,000,000);
- turns every failure, RecursionError included, into a TemplateProblem in words.
Where a render runs (in this process or a sandbox process with hard limits) is sandbox.py's choice.

Variables: ``{{steps.KEY.output}}`` (text), ``{{steps.KEY.items}}`` (a JSON list step's items),
``{{steps.KEY.data}}`` (a JSON step's parsed value), ``{{project.name}}``,
``{{project.description}}``, ``{{notes}}``, and inside a fan-out ``{{item}}`` and
``{{item_index}}`` (counting from 1). Retrieved from the workspace for this run's material
(services/engine/knowledge.py), each a ``Retrieved`` value that prints as cited passages
([I1] …) and has ``.items`` (ref, kind, title, text, why) and ``.count``: ``{{memory}}``,
``{{insights}}``, ``{{policies}}``, ``{{code_patterns}}``, ``{{patterns}}``. From the project's synced
repository: ``{{repo_map}}`` (its ranked map) and ``{{files}}`` (the files a run chose).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables

from nyx_app.services.workflows import template_env
from nyx_app.services.workflows.template_env import Budget, BudgetExceeded

# Jinja names the Python type in "no attribute" errors; users need the field, not our class path.
_NO_FIELD = re.compile(r"'[\w. ]+ object' has no attribute '([^']*)'")
TOO_DEEP = "it is nested too deeply (brackets, blocks or macros inside each other); simplify it."
KNOWLEDGE_NAMES = frozenset({"memory", "insights", "policies", "code_patterns", "patterns"})
# From the project's synced repository (services/engine/code_context.py).
CODE_NAMES = frozenset({"repo_map", "files"})
GLOBAL_NAMES = frozenset({"steps", "project", "notes"}) | KNOWLEDGE_NAMES | CODE_NAMES
ITEM_NAMES = frozenset({"item", "item_index"})
STEP_FIELDS = frozenset({"output", "items", "data"})


class TemplateProblem(Exception):
    """The template cannot be rendered; the message says why, in words."""


class Record:
    """A JSON object inside a template: ``item.title`` and ``item["title"]`` read its fields, and
    printing it gives its JSON. Unlike a dict, no method name (``items``, ``keys``) shadows a field."""

    __slots__ = ("_data", "_seen")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data
        # Each field is wrapped once: a template that reads a large list 5,000 times must not
        # copy it 5,000 times (that would make a plain template's time grow with its data).
        self._seen: dict[Any, Any] = {}

    def _field(self, key: Any) -> Any:
        try:
            return self._seen[key]
        except KeyError:
            value = self._seen[key] = wrap(self._data[key])
            return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._field(name)
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._field(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __str__(self) -> str:
        return _dumps(self._data)

    __repr__ = __str__


class Retrieved(Record):
    """Passages retrieved for a prompt: printed, the cited block (what ``{{insights}}`` shows);
    ``.items`` the passages as records and ``.count`` how many. The text inside is hostile (it
    was written by members and models): it is a value, never evaluated as a template."""

    __slots__ = ()

    def __str__(self) -> str:
        return str(self._data.get("text", ""))

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


def tojson(value: Any) -> str:
    return _dumps(unwrap(value))


@dataclass(frozen=True, slots=True)
class StepValues:
    output: str = ""
    items: list[Any] = field(default_factory=list)
    data: Any = None


def step_values(output: str, data: Any) -> StepValues:
    items = wrap(data) if isinstance(data, list) else JsonList()
    return StepValues(output=output, items=items, data=wrap(data))


ENV = template_env.environment(tojson)


@dataclass(frozen=True, slots=True)
class References:
    """What a template refers to: step fields as (key, field), and other top-level names."""

    steps: tuple[tuple[str, str], ...]
    names: frozenset[str]
    dynamic_steps: bool = False  # steps[expression]: which steps it reads is known only when rendering

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


def _syntax(exc: TemplateSyntaxError) -> TemplateProblem:
    return TemplateProblem(f"Template error on line {exc.lineno}: {_sentence(exc.message)}")


# Parsing, checking and compiling cost time per tag (about 0.1-0.4 ms each here), and the editor
# checks a prompt in the web process as the user types: the number of tags is bounded first.
MAX_TAGS = 2_000
_TAG = re.compile(r"\{[{%#]")
_RAW = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
_ENDRAW_TAG = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")


def count_tags(source: str) -> int:
    """Tags as Jinja's lexer sees them (text inside ``{% raw %}`` is text), in one pass."""
    count, at = 0, 0
    while (tag := _TAG.search(source, at)) is not None:
        count += 1
        at = tag.end()
        if _RAW.match(source, tag.start()):
            end = _ENDRAW_TAG.search(source, at)
            if end is None:
                break
            count, at = count + 1, end.end()
    return count


@lru_cache(maxsize=512)
def parse(source: str) -> nodes.Template:
    """Parsed once per distinct template (the engine asks again for every step it schedules)."""
    tags = count_tags(source)
    if tags > MAX_TAGS:
        raise TemplateProblem(
            f"Template error: it has {tags:,} tags ({{{{ }}}}, {{% %}}); at most {MAX_TAGS:,} are allowed. Shorten it."
        )
    try:
        return ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise _syntax(exc) from None
    except RecursionError:  # the parser recurses once per bracket or block inside another
        raise TemplateProblem("Template error: " + TOO_DEEP) from None


@lru_cache(maxsize=512)
def references(source: str) -> References:
    """Every ``steps.KEY.FIELD`` a template uses, and its other top-level names.

    ``steps.KEY`` without a field is reported with field "", and ``steps`` used as a whole with
    key "": validation turns both into a message. An unknown filter or test is found here too.
    """
    ast = parse(source)
    try:
        return _references(ast)
    except TemplateSyntaxError as exc:  # TemplateAssertionError: e.g. an unknown filter
        raise _syntax(exc) from None
    except RecursionError:
        raise TemplateProblem("Template error: " + TOO_DEEP) from None


def _references(ast: nodes.Template) -> References:
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
    dynamic = any(
        isinstance(n, nodes.Getattr | nodes.Getitem)
        and isinstance(n.node, nodes.Name)
        and n.node.name == "steps"
        and _step_ref(n) is None
        for n in ast.find_all((nodes.Getattr, nodes.Getitem))
    )
    return References(tuple(dict.fromkeys(found)), frozenset(find_undeclared_variables(ast)), dynamic)


def needed_variables(source: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """Only the variables (and steps) ``source`` uses: what is sent to a sandbox process."""
    refs = references(source)
    needed = {name: variables[name] for name in refs.names if name in variables}
    steps = needed.get("steps")
    if isinstance(steps, Record) and not refs.dynamic_steps and ("", "") not in refs.steps:
        keys = {key for key, _ in refs.steps}
        needed["steps"] = Record({k: v for k, v in steps._data.items() if k in keys})
    return needed


@lru_cache(maxsize=512)
def is_plain(source: str) -> bool:
    """Whether the template renders in time linear in its size wherever it runs (no loops, calls,
    filters, macros or operators: template_env.is_plain). Raises TemplateProblem if it does not parse."""
    return template_env.is_plain(parse(source))


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """Compiled with every loop counted (a fresh parse: the cached tree is shared, not rewritten)."""
    try:
        return ENV.from_string(template_env.count_loops(ENV.parse(source)))
    except TemplateSyntaxError as exc:  # e.g. an unknown filter, found when compiling
        raise _syntax(exc) from None
    except SecurityError as exc:
        raise TemplateProblem(f"The template tried something prompts may not do: {_sentence(str(exc))}") from None
    except (RecursionError, SyntaxError):  # Python refuses more than 20 loops inside each other
        raise TemplateProblem("Template error: " + TOO_DEEP) from None


def render(source: str, variables: Mapping[str, Any], budget: Budget | None = None) -> str:
    """Render a prompt within ``budget`` (output, iterations, soft time). Raises TemplateProblem
    with a message in words. Only the time a plain template takes is bounded by its size: run
    others where a hard deadline and memory limit hold (sandbox.py)."""
    template = _compiled(source)
    limits = budget or Budget()
    parts: list[str] = []
    size = 0
    token = template_env.using(limits)
    try:
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > limits.chars:
                raise TemplateProblem(f"The prompt grew past {limits.chars:,} characters; shorten the template.")
            parts.append(chunk)
    except UndefinedError as exc:
        message = _NO_FIELD.sub(r"this value has no field '\1'", exc.message or "")
        raise TemplateProblem(f"The template uses something that does not exist: {_sentence(message)}") from None
    except BudgetExceeded as exc:
        raise TemplateProblem(f"The template went past its limits: {_sentence(str(exc))}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"The template tried something prompts may not do: {_sentence(str(exc))}") from None
    except TemplateProblem:
        raise
    except RecursionError:
        raise TemplateProblem("The template calls itself too deeply (a macro calling itself); simplify it.") from None
    except MemoryError:
        raise TemplateProblem("The template needed more memory than a prompt may use; simplify it.") from None
    except Exception as exc:  # a filter given the wrong kind of value, a division by zero, …
        raise TemplateProblem(f"The template could not be rendered: {_sentence(str(exc))}") from None
    finally:
        template_env.release(token)
    return "".join(parts)


_ENDRAW = re.compile(r"\{%(?=[-+]?\s*endraw)")


def literal(text: str) -> str:
    """A template that renders to exactly ``text``: user or model text placed into a generated
    prompt is shown to the model, never evaluated. Inside ``{% raw %}`` only ``{% endraw %}``
    (with optional ``-``/``+`` and spaces) ends the block (Jinja's lexer), so only a ``{%`` that
    starts such a tag is emitted as a string expression between raw blocks: text full of ``{%``
    costs two tags, not three per ``{%`` (templates are limited to MAX_TAGS)."""
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        return text
    return "{{ '{%' }}".join(f"{{% raw %}}{part}{{% endraw %}}" for part in _ENDRAW.split(text))


def _sentence(message: str | None) -> str:
    return (message or "unknown problem").rstrip(".") + "."
