"""The workflow editor's form in state, and the pure functions between it and the services:
a definition becomes step forms, step forms become the raw definition the services check, the
problems they report land at the steps they concern, and an estimate becomes display strings.

Numbers stay text in the form ("" = the default): the service's checks say what is wrong with
"1.5.2", in words, at the step.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from nyx_app.services.llm import catalog
from nyx_app.services.reports.text import DASH, money
from nyx_app.services.workflows.definition import OutputFormat, StepKind
from nyx_app.services.workflows.estimate import Estimate
from nyx_app.services.workflows.validate import Problem

NO_FAN_OUT = "none"  # a select item cannot have the empty value

FORM_FIELDS = frozenset(
    {
        *("key", "name", "kind", "prompt", "system", "model", "temperature", "max_tokens", "for_each"),
        *("output", "output_schema"),
    }
)


@dataclasses.dataclass
class StepForm:
    key: str = ""
    name: str = ""
    kind: str = StepKind.LLM.value
    prompt: str = ""
    system: str = ""
    model: str = ""
    provider: str = ""  # the picker's provider, from the model
    temperature: str = ""
    max_tokens: str = ""
    depends_on: list[str] = dataclasses.field(default_factory=list)
    for_each: str = NO_FAN_OUT
    output: str = OutputFormat.TEXT.value
    output_schema: str = ""  # the JSON Schema as typed; "" for none (the services parse and check it)
    images: bool = False
    persona: str = ""  # the persona this step speaks as (its id), "" for none
    show_system: bool = False
    problems: list[str] = dataclasses.field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _schema_text(value: Any) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    return json.dumps(value, indent=2, ensure_ascii=False)


def from_definition(raw: dict[str, Any]) -> list[StepForm]:
    forms = []
    for s in raw.get("steps") or []:
        model = _text(s.get("model"))
        forms.append(
            StepForm(
                key=_text(s.get("key")),
                name=_text(s.get("name")),
                kind=_text(s.get("kind")) or StepKind.LLM.value,
                prompt=_text(s.get("prompt")),
                system=_text(s.get("system")),
                model=model,
                provider=catalog.split_ref(model)[0] if model else "",
                temperature=_text(s.get("temperature")),
                max_tokens=_text(s.get("max_tokens")),
                depends_on=[str(d) for d in s.get("depends_on") or []],
                for_each=_text(s.get("for_each")) or NO_FAN_OUT,
                output=_text(s.get("output")) or OutputFormat.TEXT.value,
                output_schema=_schema_text(s.get("output_schema")),
                images=bool(s.get("images")),
                persona=_text(s.get("persona")),
                show_system=bool(s.get("system")),
            )
        )
    return forms


def to_definition(forms: Sequence[StepForm]) -> dict[str, Any]:
    """The raw definition, exactly as typed: the services parse and check it."""
    return {
        "steps": [
            {
                "key": f.key,
                "name": f.name,
                "kind": f.kind,
                "prompt": f.prompt,
                "system": f.system,
                "model": f.model,
                "temperature": f.temperature.strip() or None,
                "max_tokens": f.max_tokens.strip() or None,
                "depends_on": list(f.depends_on),
                "for_each": "" if f.for_each == NO_FAN_OUT else f.for_each,
                "output": f.output,
                "output_schema": f.output_schema if f.output_schema.strip() else None,
                "images": f.images,
                "persona": f.persona,
            }
            for f in forms
        ]
    }


def place_problems(forms: Sequence[StepForm], problems: Sequence[Problem]) -> tuple[list[StepForm], list[str]]:
    """Each problem at the step it concerns (by key, or "step N" for a step without a usable key);
    the rest, about the workflow as a whole, separately."""
    per_step: list[list[str]] = [[] for _ in forms]
    general: list[str] = []
    for p in problems:
        hits = [i for i, f in enumerate(forms) if p.step and (p.step in (f.key, f.key.strip(), f"step {i + 1}"))]
        for i in hits:
            per_step[i].append(p.message)
        if not hits:
            general.append(f"{p.step}: {p.message}" if p.step else p.message)
    return [dataclasses.replace(f, problems=m) for f, m in zip(forms, per_step, strict=True)], general


def free_key(forms: Sequence[StepForm]) -> str:
    taken = {f.key for f in forms}
    n = len(forms) + 1
    while f"step_{n}" in taken:
        n += 1
    return f"step_{n}"


@dataclasses.dataclass
class EstimateStep:
    name: str
    model: str
    calls: str
    cost: str


@dataclasses.dataclass
class EstimateView:
    ready: bool = False
    calls: str = ""
    tokens: str = ""
    cost: str = ""
    unpriced: str = ""
    unpriced_note: str = ""  # in words, with what it means for the budget
    budget_note: str = ""
    steps: list[EstimateStep] = dataclasses.field(default_factory=list)


def _range(low: Any, high: Any, fmt: Any = str) -> str:
    return fmt(low) if low == high else f"{fmt(low)}{DASH}{fmt(high)}"


def estimate_view(est: Estimate) -> EstimateView:
    if not est.steps:
        return EstimateView(ready=True, calls="no calls (the saved workflow has problems or no steps)")
    priced = _range(est.cost_min, est.cost_max, money)
    unpriced = [m for m in est.unpriced if m]  # "": no model reachable yet (no provider)
    if est.unpriced:  # an unknown price is never shown as $0
        priced = "cost unknown" if est.cost_max == 0 else f"{priced} + unknown"
    unpriced_note = ""
    if unpriced:
        unpriced_note = f"Price unknown for {', '.join(unpriced)}: set it in Settings → Providers."
        if est.budget is not None:
            unpriced_note += " Until then the monthly budget cannot limit calls to them."
    elif est.unpriced:
        unpriced_note = "No model is set up yet: the cost is known once a provider is added in Settings → Providers."
    budget_note = ""
    if est.budget is not None and est.left is not None:
        budget_note = f"Budget left this month: {money(max(est.left, Decimal(0)))} of ${est.budget:,.2f}."
        if est.cost_max > est.left:
            budget_note += " This run may cost more: steps that do not fit are refused before anything is sent."
    return EstimateView(
        ready=True,
        calls=f"{_range(est.calls_min, est.calls_max)} LLM calls",
        tokens=f"up to ≈{est.tokens_max:,} tokens",
        cost=priced,
        unpriced=", ".join(unpriced),
        unpriced_note=unpriced_note,
        budget_note=budget_note,
        steps=[
            EstimateStep(
                s.name,
                s.model,
                _range(s.calls_min, s.calls_max),
                "price unknown" if s.cost_max is None else _range(s.cost_min, s.cost_max, money),
            )
            for s in est.steps
        ],
    )
