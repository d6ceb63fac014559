"""Before starting: how many calls, tokens and dollars a workflow will take, roughly.

Prompt sizes come from the templates and what they pull in (the project's notes and memory, the
earlier steps' answers); answers are assumed to use their step's ``max_tokens`` or a typical
length. A fan-out whose list does not exist yet is counted as a range. Tokens are estimated at
four characters each (no tokenizer: this runs in the page, and a rough figure is the point).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.llm import ProviderCredential
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import material
from nyx_app.services.llm import catalog
from nyx_app.services.llm.credentials import stored_prices
from nyx_app.services.llm.preferences import budget_and_chain
from nyx_app.services.llm.spend import month_spend
from nyx_app.services.workflows import templates
from nyx_app.services.workflows.definition import StepKind, WorkflowDefinition
from nyx_app.services.workflows.store import get_workflow
from nyx_app.services.workflows.validate import DefinitionInvalid, levels, needs, parse_definition

CHARS_PER_TOKEN = 4
TYPICAL_ANSWER_TOKENS = 1_500
TOKENS_PER_IMAGE = 1_600  # a screenshot scaled to ~1,500 px on its long side
FAN_OUT_RANGE = (3, 20)  # items assumed when the list does not exist yet


@dataclass(frozen=True, slots=True)
class StepEstimate:
    key: str
    name: str
    model: str
    calls_min: int
    calls_max: int
    tokens_in_max: int
    tokens_out_max: int
    cost_min: Decimal | None  # None: the model's price is unknown
    cost_max: Decimal | None


@dataclass
class Estimate:
    steps: list[StepEstimate] = field(default_factory=list)
    budget: Decimal | None = None  # the monthly budget, if the workspace has one
    left: Decimal | None = None  # what it has left this month

    @property
    def calls_min(self) -> int:
        return sum(s.calls_min for s in self.steps)

    @property
    def calls_max(self) -> int:
        return sum(s.calls_max for s in self.steps)

    @property
    def tokens_max(self) -> int:
        return sum(s.tokens_in_max + s.tokens_out_max for s in self.steps)

    @property
    def cost_min(self) -> Decimal:
        return sum((s.cost_min or Decimal(0) for s in self.steps), Decimal(0))

    @property
    def cost_max(self) -> Decimal:
        return sum((s.cost_max or Decimal(0) for s in self.steps), Decimal(0))

    @property
    def unpriced(self) -> list[str]:
        """Models whose price is not known (left out of the costs above)."""
        return sorted({s.model for s in self.steps if s.cost_max is None and s.calls_max})


Prices = dict[str, tuple[Decimal, Decimal]]  # model ref -> USD per million tokens in, out


def _price(model: str, tokens_in: int, tokens_out: int, prices: Prices) -> Decimal | None:
    if model in prices:  # what the tenant set for its endpoint's model
        price_in, price_out = prices[model]
    else:
        info = catalog.find(model)
        if info is None or info.input_per_mtok is None or info.output_per_mtok is None:
            return None
        price_in, price_out = Decimal(str(info.input_per_mtok)), Decimal(str(info.output_per_mtok))
    return (price_in * tokens_in + price_out * tokens_out) / Decimal(1_000_000)


def estimate_definition(
    definition: WorkflowDefinition,
    project_model: str,
    notes_chars: int,
    memory_chars: int,
    images: int,
    prices: Prices | None = None,
) -> Estimate:
    answer_chars: dict[str, int] = {}  # per step: the size of its answer (all items for a fan-out)
    result = Estimate()
    order = [key for level in levels(definition) for key in level]
    for key in order:
        step = definition.step(key)
        assert step is not None
        model = step.model or project_model
        answer_tokens = step.max_tokens or TYPICAL_ANSWER_TOKENS
        if step.kind == StepKind.REVIEW:
            answer_chars[key] = answer_chars.get(needs(step)[0], 0)
            continue
        try:
            refs = templates.references(step.prompt + step.system)
        except templates.TemplateProblem:
            refs = templates.References((), frozenset())
        prompt_chars = len(step.prompt) + len(step.system)
        prompt_chars += notes_chars if "notes" in refs.names else 0
        prompt_chars += memory_chars if "memory" in refs.names else 0
        named = [k for k in refs.step_keys if k]
        pulled = named or ([] if named else step.depends_on)  # auto-context pulls in the dependencies
        prompt_chars += sum(answer_chars.get(k, 0) for k in pulled)
        tokens_in = prompt_chars // CHARS_PER_TOKEN + (images * TOKENS_PER_IMAGE if step.images else 0)
        calls_min, calls_max = FAN_OUT_RANGE if step.for_each else (1, 1)
        low, high = (
            _price(model, tokens_in * calls_min, answer_tokens * calls_min, prices or {}),
            _price(model, tokens_in * calls_max, answer_tokens * calls_max, prices or {}),
        )
        result.steps.append(
            StepEstimate(
                key,
                step.title,
                model,
                calls_min,
                calls_max,
                tokens_in * calls_max,
                answer_tokens * calls_max,
                low,
                high,
            )
        )
        answer_chars[key] = answer_tokens * CHARS_PER_TOKEN * calls_max
    return result


async def estimate(session: AsyncSession, ctx: TenantContext, workflow_id: str | uuid.UUID) -> Estimate:
    workflow = await get_workflow(session, ctx, workflow_id)
    try:
        definition = parse_definition(workflow.definition)
    except DefinitionInvalid:
        return Estimate()
    found = await material.sizes(session, workflow.project_id)
    endpoints = await session.execute(select(ProviderCredential.name, ProviderCredential.model_prices))
    prices = {f"{name}/{model}": price for name, saved in endpoints for model, price in stored_prices(saved).items()}
    result = estimate_definition(definition, found.model, found.notes_chars, found.memory_chars, found.images, prices)
    result.budget, _ = await budget_and_chain(session, ctx)
    if result.budget is not None:
        result.left = result.budget - await month_spend(session, ctx)
    return result
