"""Output schemas are data a member writes: checked at save, and validated with the same rules at
run time, so that nothing in one makes the server open a file or a URL, or search without end.

At save (``problems``), in this order, each refusal in words:
- at most ``MAX_DEPTH`` levels of nesting and ``MAX_CHARS`` characters;
- ``$ref`` only inside the same document (``#`` or ``#/json/pointer``, pointing at something);
  ``$id``, anchors and dynamic references are refused (they change what a reference means);
- every ``pattern`` and ``patternProperties`` key compiles in RE2 (linear-time matching: no
  backreferences or lookaround, which is what makes ``^(a+)+$`` harmless);
- a valid Draft 2020-12 schema (its ``format: regex`` strings judged by RE2 as well);
- no reference loop that never reaches into the answer (``{"$ref": "#"}``): it could never finish.

At run time (``validator``) the schema is validated with a ``referencing`` registry whose
retrieve refuses every URI, ``pattern``/``patternProperties`` by RE2, and the format checker of
the save check. jsonschema's own helpers for ``additionalProperties`` and
``unevaluatedProperties`` also search ``patternProperties`` keys; in a process that imports this
module they search with RE2 too (``_RE2Search`` below), so no user pattern reaches Python's ``re``.
Messages name where a problem is and quote only what the member wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema import _utils as jsonschema_utils
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

MAX_DEPTH = 32
MAX_CHARS = 50_000
DIALECT = "https://json-schema.org/draft/2020-12/schema"
REFUSED_KEYWORDS = ("$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor")
_QUOTE_MAX = 80
TOO_DEEP = f"Nested more than {MAX_DEPTH} levels deep: flatten it (use $defs and $ref for repeats)."

# Where subschemas sit, per keyword (everything else, e.g. enum/const/default, is plain data).
_ONE = ("additionalProperties", "propertyNames", "items", "contains", "not", "if", "then", "else",
        "unevaluatedItems", "unevaluatedProperties", "contentSchema", "additionalItems")  # fmt: skip
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Subschemas applied to the same value as their parent (a loop through only these never ends).
_IN_PLACE_ONE = ("not", "if", "then", "else")
_IN_PLACE_LIST = ("allOf", "anyOf", "oneOf")


class SchemaProblem(Exception):
    """The schema cannot be used; the message says why, in words."""


def _options() -> Any:
    options = re2.Options()
    options.max_mem = 8 << 20  # RE2's own bound on a compiled pattern's size
    options.log_errors = False  # refusals are reported in words, not logged by RE2
    return options


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else "cannot be compiled"
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


@lru_cache(maxsize=512)
def compiled(pattern: str) -> Any:
    """RE2's compiled pattern; raises re2.error for what RE2 cannot do."""
    return re2.compile(pattern, options=_options())


def _quote(text: str) -> str:
    return repr(text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 1] + "…")


def depth_within(value: Any, limit: int) -> bool:
    """Whether JSON-like ``value`` nests at most ``limit`` containers deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return True


# -- the regex engine ----------------------------------------------------------------------------
def _regex_format(instance: object) -> bool:
    if isinstance(instance, str):
        compiled(instance)
    return True


FORMAT_CHECKER = FormatChecker(formats=())
FORMAT_CHECKER.checks("regex", raises=re2.error)(_regex_format)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not compiled(pattern).search(instance):
        yield ValidationError(f"{_quote(instance)} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if compiled(pattern).search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


class _RE2Search:
    """Stands in for the ``re`` module inside jsonschema._utils, which only calls ``re.search``."""

    @staticmethod
    def search(pattern: str, string: str) -> Any:
        return compiled(pattern).search(string)


jsonschema_utils.re = _RE2Search

RE2Validator = validators.extend(Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties})


def _retrieve(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


REFUSING_REGISTRY: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]


@lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    return RE2Validator(json.loads(schema_json), registry=REFUSING_REGISTRY, format_checker=FORMAT_CHECKER)


_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, registry=REFUSING_REGISTRY, format_checker=FORMAT_CHECKER
)


def validator(schema: dict[str, Any]) -> Any:
    """The run-time validator of a schema that passed ``problems`` (cached per schema)."""
    return _validator(json.dumps(schema, sort_keys=True))


def first_error(schema: dict[str, Any], data: Any) -> str | None:
    """What is wrong with ``data`` under ``schema`` (the most relevant error), or None."""
    error = best_match(validator(schema).iter_errors(data))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where + ': ' if where else ''}{error.message}"[:300]


# -- the check at save ---------------------------------------------------------------------------
def _resolve(root: Any, ref: str) -> tuple[str, Any] | None:
    """``#/a/b`` → (its pointer, the value there); None if it points at nothing."""
    pointer = unquote(ref[1:])
    node = root
    if pointer:
        if not pointer.startswith("/"):
            return None
        for token in pointer[1:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
    return pointer, node


def _children(node: dict[str, Any], at: str) -> Iterator[tuple[str, Any, bool]]:
    """(pointer, subschema, applies to the same value) for each subschema of ``node``."""

    def esc(key: str) -> str:
        return key.replace("~", "~0").replace("/", "~1")

    for keyword, value in node.items():
        if keyword in _ONE and isinstance(value, dict | bool):
            yield f"{at}/{esc(keyword)}", value, keyword in _IN_PLACE_ONE
        elif keyword in _LIST and isinstance(value, list):
            for i, sub in enumerate(value):
                yield f"{at}/{esc(keyword)}/{i}", sub, keyword in _IN_PLACE_LIST
        elif keyword in _MAP and isinstance(value, dict):
            for key, sub in value.items():
                yield f"{at}/{esc(keyword)}/{esc(str(key))}", sub, keyword == "dependentSchemas"


def _walk(root: dict[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """Problems with references, keywords and patterns, and the same-value edges between
    subschemas (by pointer) for the loop check. Follows references to what they point at."""
    found: list[str] = []
    edges: dict[str, list[str]] = {}
    seen: set[str] = set()
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        at, node = stack.pop()
        if at in seen or not isinstance(node, dict):
            continue
        seen.add(at)
        where = f"at {at}" if at else "at the top"
        out = edges.setdefault(at, [])
        found += [
            f"{keyword} ({where}) is not supported in output schemas; use $ref with #/… instead."
            for keyword in REFUSED_KEYWORDS
            if keyword in node
        ]
        if "$schema" in node and str(node["$schema"]).rstrip("#") != DIALECT:
            found.append(f"$schema ({where}) must be {DIALECT} (or left out).")
        ref = node.get("$ref")
        if ref is not None:
            target = _resolve(root, ref) if isinstance(ref, str) and ref.startswith("#") else None
            if not isinstance(ref, str) or not ref.startswith("#"):
                found.append(
                    f"$ref ({where}) may only point inside this schema (#/…), not to {_quote(str(ref))}: "
                    "the server opens no files or addresses for a schema."
                )
            elif target is None:
                found.append(f"$ref ({where}) points at nothing in this schema: {_quote(ref)}.")
            else:
                out.append(target[0])
                stack.append(target)
        patterns = [("pattern", node["pattern"])] if isinstance(node.get("pattern"), str) else []
        if isinstance(node.get("patternProperties"), dict):
            patterns += [("patternProperties key", key) for key in node["patternProperties"]]
        for label, pattern in patterns:
            try:
                compiled(pattern)
            except re2.error as exc:
                found.append(
                    f"The {label} {_quote(pattern)} ({where}) cannot be used: {_reason(exc)}. Patterns are matched by "
                    "RE2, which has no backreferences or lookaround."
                )
        for pointer, sub, same_value in _children(node, at):
            if same_value:
                out.append(pointer)
            stack.append((pointer, sub))
    return found, edges


def _loop(edges: dict[str, list[str]]) -> str | None:
    """A subschema that reaches itself through same-value edges only (iterative DFS)."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for start in edges:
        if state.get(start):
            continue
        state[start] = 1
        stack = [(start, iter(edges.get(start, ())))]
        while stack:
            node, nexts = stack[-1]
            nxt = next(nexts, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return nxt or "the top"
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(edges.get(nxt, ()))))
    return None


def problems(schema: Any) -> list[str]:
    """Everything that keeps ``schema`` from being used as an output schema, in words."""
    if not isinstance(schema, dict):
        return ['Not a JSON object: an output schema is an object like {"type": "object"}.']
    if not depth_within(schema, MAX_DEPTH):
        return [TOO_DEEP]
    if len(json.dumps(schema, ensure_ascii=False)) > MAX_CHARS:
        return [f"Longer than {MAX_CHARS:,} characters: shorten it."]
    found, edges = _walk(schema)
    if found:
        return found
    error = best_match(_META.iter_errors(schema))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        return [f"Not a valid JSON Schema{f' (at {where})' if where else ''}: {error.message[:200]}"]
    loop = _loop(edges)
    if loop is not None:
        return [f"A reference loop (at {loop}) never reaches into the answer, so no answer could be checked."]
    return []


def check(schema: Any) -> None:
    """Raises SchemaProblem with the first problem (run time: a schema written past the editor)."""
    found = problems(schema)
    if found:
        raise SchemaProblem("The step's output schema cannot be used. " + found[0])
