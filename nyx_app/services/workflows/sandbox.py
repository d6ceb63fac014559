"""Where user-written computation runs: prompt templates and output-schema checks, with budgets.

A template that is *plain* (only text, values and ``{% if %}`` on values: template_env.is_plain)
renders here, in time linear in its size; the engine's usual prompts are plain, so most steps pay
nothing extra. Any other template, and every check of an answer against a user's output schema,
runs in a small pool of child processes (integrations/limited_pool.py) with hard limits:
``NYX_SANDBOX_SECONDS`` (2 s) after which the child is killed and replaced, ``NYX_SANDBOX_MEMORY_MB``
of address space, and inside the child the template budget (``NYX_SANDBOX_ITERATIONS`` loop
iterations and macro calls, 2,000,000 characters for anything a template builds). Whatever
process runs the engine (the web process's worker or a worker of its own), its event loop only
awaits, with a bound; one tenant's tasks run one at a time per process (the pool's gate), so a
tenant with hostile templates queues behind itself.

Exceeding a limit ends that step with the reason in words ("the template took longer than 2 s").
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any

from nyx_app.integrations.limited_pool import LimitedPool, LimitExceeded
from nyx_app.services.llm.validators import parse_json
from nyx_app.services.workflows import sandbox_tasks, schemas, templates
from nyx_app.services.workflows.definition import OutputFormat
from nyx_app.services.workflows.template_env import Budget
from nyx_app.settings import get_settings

_pool: LimitedPool | None = None
_lock = threading.Lock()
# The child stops itself with words at the soft deadline; the kill comes this much later.
KILL_AFTER_SOFT_SECONDS = 0.5


def pool() -> LimitedPool:
    global _pool
    with _lock:
        if _pool is None:
            settings = get_settings()
            _pool = LimitedPool(
                "sandbox",
                workers=settings.sandbox_workers,
                memory_mb=settings.sandbox_memory_mb,
                nice=settings.sandbox_nice,
                preload=[sandbox_tasks.__name__],
            )
        return _pool


def close() -> None:
    """Stop the pool's processes (at shutdown; the next use starts a new pool)."""
    global _pool
    with _lock:
        current, _pool = _pool, None
    if current is not None:
        current.close()


async def render(source: str, variables: Mapping[str, Any], *, gate: Hashable | None = None) -> str:
    """The rendered prompt. Raises TemplateProblem in words (including a limit it went past)."""
    if templates.is_plain(source):
        return templates.render(source, variables)
    settings = get_settings()
    budget = Budget(iterations=settings.sandbox_iterations, seconds=settings.sandbox_seconds)
    try:
        ok, text = await pool().run(
            sandbox_tasks.render,
            source,
            templates.needed_variables(source, variables),
            budget,
            seconds=settings.sandbox_seconds + KILL_AFTER_SOFT_SECONDS,
            gate=gate,
        )
    except LimitExceeded as exceeded:
        if exceeded.kind == "time":  # killed: say the limit the user can act on
            raise templates.TemplateProblem(
                f"The template went past its limits: it took longer than {settings.sandbox_seconds:g} s."
            ) from None
        raise templates.TemplateProblem(f"The template went past its limits: it {exceeded}.") from None
    if not ok:
        raise templates.TemplateProblem(text)
    return text


AnswerCheck = Callable[[str], Awaitable[None]]


def json_validator(
    output: OutputFormat, schema: dict[str, Any] | None = None, *, gate: Hashable | None = None
) -> AnswerCheck | None:
    """The check of a JSON step's answer (ValueError in words rejects it, and the call path tries
    the next model). A schema that cannot be used raises SchemaProblem here, before any call."""
    if output == OutputFormat.TEXT:
        return None
    if schema is not None:
        schemas.check(schema)

    async def check(text: str) -> None:
        if schema is None:  # linear in the answer: no user computation involved
            try:
                data = parse_json(text)
            except RecursionError:
                raise ValueError(f"the JSON is nested more than {sandbox_tasks.ANSWER_MAX_DEPTH} levels deep") from None
            sandbox_tasks.check_shape(output, data)
            return
        seconds = get_settings().sandbox_seconds
        try:
            ok, message = await pool().run(
                sandbox_tasks.check_answer, str(output), schema, text, seconds=seconds, gate=gate
            )
        except LimitExceeded as exceeded:
            raise ValueError(f"checking it against the output schema {exceeded}") from None
        if not ok:
            raise ValueError(message)

    return check
