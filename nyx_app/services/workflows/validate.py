"""Checks a workflow definition as a whole, reporting each problem next to the step it concerns.

Pure functions (no database): the caller passes which models the tenant can reach and which
personas it has. A step waits
for its ``depends_on``, its fan-out source, and every step its prompt names; those edges must form
no cycle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from nyx_app.services.workflows import schemas, templates
from nyx_app.services.workflows.definition import OutputFormat, StepDef, StepKind, WorkflowDefinition

MAX_DEPTH = schemas.MAX_DEPTH + 8  # steps → step → output_schema → the schema's own levels


@dataclass(frozen=True, slots=True)
class Problem:
    step: str  # the step's key; "" for the workflow as a whole
    message: str


class DefinitionInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.step or 'workflow'}: {p.message}" for p in problems))
        self.problems = problems


def parse_definition(raw: Mapping[str, Any]) -> WorkflowDefinition:
    """Shape checks by pydantic, translated into per-step problems. A definition nested deeper
    than any real one is refused before anything walks it recursively."""
    steps = raw.get("steps")
    deep = [
        Problem(str(step.get("key") or f"step {i + 1}"), f"Output schema: {schemas.TOO_DEEP}")
        for i, step in enumerate(steps if isinstance(steps, list) else [])
        if isinstance(step, Mapping) and not schemas.depth_within(step.get("output_schema"), schemas.MAX_DEPTH)
    ]
    if deep:
        raise DefinitionInvalid(deep)
    if not schemas.depth_within(raw, MAX_DEPTH):
        raise DefinitionInvalid([Problem("", f"The definition is nested more than {MAX_DEPTH} levels deep.")])
    try:
        return WorkflowDefinition.model_validate(raw)
    except ValidationError as exc:
        raise DefinitionInvalid([_shape_problem(raw, e) for e in exc.errors()]) from None


def _shape_problem(raw: Mapping[str, Any], error: Any) -> Problem:
    loc = list(error.get("loc", ()))
    step = ""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = raw.get("steps") or []
        entry = steps[loc[1]] if loc[1] < len(steps) and isinstance(steps[loc[1]], Mapping) else {}
        step = str(entry.get("key") or f"step {loc[1] + 1}")
        loc = loc[2:]
    where = ".".join(str(p) for p in loc)
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return Problem(step, f"{where}: {message}" if where else message)


def needs(step: StepDef) -> list[str]:
    """Every step this one waits for: depends_on, the fan-out source, and steps its prompts name."""
    named: list[str] = []
    for source in (step.prompt, step.system):
        with contextlib.suppress(templates.TemplateProblem):  # reported by the template check
            named += [key for key in templates.references(source).step_keys if key]
    return list(dict.fromkeys([*step.needs, *named]))


def levels(definition: WorkflowDefinition) -> list[list[str]]:
    """Steps grouped by depth: every step after all it waits for. Assumes no cycle."""
    depth: dict[str, int] = {}
    by_key = {s.key: s for s in definition.steps}

    def of(key: str, seen: tuple[str, ...] = ()) -> int:
        if key in depth:
            return depth[key]
        if key in seen or key not in by_key:
            return 0
        waits = [k for k in needs(by_key[key]) if k in by_key]
        depth[key] = 1 + max((of(k, (*seen, key)) for k in waits), default=-1)
        return depth[key]

    for s in definition.steps:
        of(s.key)
    result: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for s in definition.steps:
        result[depth[s.key]].append(s.key)
    return result


def _cycle(definition: WorkflowDefinition) -> list[str] | None:
    by_key = {s.key: s for s in definition.steps}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(key: str) -> list[str] | None:
        state[key] = 1
        path.append(key)
        for nxt in needs(by_key[key]):
            if nxt not in by_key:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        state[key] = 2
        path.pop()
        return None

    for s in definition.steps:
        if state.get(s.key) is None and (found := visit(s.key)):
            return found
    return None


def _template_problems(step: StepDef, by_key: Mapping[str, StepDef]) -> list[str]:
    messages: list[str] = []
    allowed = templates.GLOBAL_NAMES | (templates.ITEM_NAMES if step.for_each else frozenset())
    for label, source in (("prompt", step.prompt), ("system prompt", step.system)):
        try:
            refs = templates.references(source)
        except templates.TemplateProblem as exc:
            messages.append(f"In the {label}: {exc}")
            continue
        for name in sorted(refs.names - allowed):
            if name in templates.ITEM_NAMES:
                messages.append(
                    f"The {label} uses {{{{{name}}}}}, which exists only in a step that runs for each item."
                )
            else:
                messages.append(f"The {label} uses {{{{{name}}}}}, which does not exist.")
        for key, field in refs.steps:
            messages += _step_ref_problems(label, key, field, step, by_key)
    return messages


def _step_ref_problems(label: str, key: str, field: str, step: StepDef, by_key: Mapping[str, StepDef]) -> list[str]:
    if not key:
        return [f"The {label} uses steps as a whole; name one step, e.g. {{{{steps.KEY.output}}}}."]
    target = by_key.get(key)
    if target is None:
        return [f"The {label} refers to steps.{key}, but there is no step '{key}'."]
    if key == step.key:
        return [f"The {label} refers to its own step ({key})."]
    if not field:
        return [f"The {label} uses steps.{key} alone; write steps.{key}.output (or .items for a JSON list)."]
    if field not in templates.STEP_FIELDS:
        return [f"The {label} uses steps.{key}.{field}; a step offers .output, .items and .data."]
    # A fan-out step's .items are its items' answers, whatever their format.
    if field == "items" and target.output != OutputFormat.JSON_LIST and not target.for_each:
        return [f"The {label} uses steps.{key}.items, but '{key}' does not produce a JSON list."]
    if field == "data" and target.output == OutputFormat.TEXT and target.kind == StepKind.LLM and not target.for_each:
        return [f"The {label} uses steps.{key}.data, but '{key}' produces text, not JSON."]
    return []


def _step_problems(
    step: StepDef,
    by_key: Mapping[str, StepDef],
    reachable: Collection[str] | None,
    personas: Collection[str] | None = None,
) -> list[str]:
    messages: list[str] = []
    if step.persona and personas is not None and step.persona not in personas:
        messages.append("It speaks as a persona that does not exist (any more) in this workspace: pick another.")
    for dep in step.depends_on:
        if dep == step.key:
            messages.append("A step cannot depend on itself.")
        elif dep not in by_key:
            messages.append(f"It depends on '{dep}', which is not a step of this workflow.")
    if step.for_each:
        source = by_key.get(step.for_each)
        if source is None:
            messages.append(f"It runs for each item of '{step.for_each}', which is not a step of this workflow.")
        elif source.output != OutputFormat.JSON_LIST:
            messages.append(
                f"It runs for each item of '{step.for_each}', but that step does not produce a JSON list "
                "(set its output to JSON list)."
            )
    if step.output_schema is not None:
        if step.output == OutputFormat.TEXT:
            messages.append("Only a step whose output is JSON can have an output schema.")
        messages += [f"Output schema: {m}" for m in schemas.problems(step.output_schema)]
    if step.kind == StepKind.TOOL or step.tool:
        messages.append("This kind of step is built into the app and cannot be part of a workflow.")
    if step.kind == StepKind.REVIEW:
        if step.for_each:
            messages.append("A review step cannot run for each item; review the step that collects them.")
        if len(needs(step)) != 1:
            messages.append("A review step reviews exactly one step: let it depend on that step only.")
    else:
        if not step.prompt.strip():
            messages.append("Write a prompt for this step.")
        if step.model and reachable is not None and step.model not in reachable:
            messages.append(
                f"The model {step.model} is not available to this workspace: add its provider in "
                "Settings → Providers, or pick another model."
            )
    return messages + _template_problems(step, by_key)


def problems(
    definition: WorkflowDefinition,
    reachable: Collection[str] | None = None,
    personas: Collection[str] | None = None,
) -> list[Problem]:
    """Everything wrong with a definition, per step. ``reachable``: model refs the tenant can call;
    ``personas``: the tenant's persona ids (None skips either check)."""
    found: list[Problem] = []
    if not definition.steps:
        return [Problem("", "Add at least one step.")]
    seen: set[str] = set()
    for s in definition.steps:
        if s.key in seen:
            found.append(Problem(s.key, f"Two steps are named '{s.key}'; step keys must be unique."))
        seen.add(s.key)
    by_key = {s.key: s for s in definition.steps}
    for s in definition.steps:
        found += [Problem(s.key, m) for m in _step_problems(s, by_key, reachable, personas)]
    cycle = _cycle(definition)
    if cycle:
        found.append(Problem(cycle[0], "These steps wait for each other in a circle: " + " → ".join(cycle) + "."))
    return found


def check(
    raw: Mapping[str, Any], reachable: Collection[str] | None = None, personas: Collection[str] | None = None
) -> WorkflowDefinition:
    """Parse and check; raises DefinitionInvalid listing every problem."""
    definition = parse_definition(raw)
    found = problems(definition, reachable, personas)
    if found:
        raise DefinitionInvalid(found)
    return definition
