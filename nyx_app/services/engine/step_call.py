"""One step of a run: its prompt (templates, persona, auto-context), its model call (streamed
for a step's own answer, whole for a fan-out item), and its success or failure, recorded through
the run's recorder; built-in tool steps too. Part of the run executor (``executor.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from nyx_app.integrations import llm as adapter
from nyx_app.models.run import NO_ITEM, StepRun, StepStatus
from nyx_app.services.engine import autocontext, material, toolbox
from nyx_app.services.engine import events as ev
from nyx_app.services.engine.handover import Carried
from nyx_app.services.engine.limits import provider_gate
from nyx_app.services.engine.record import attempt_row
from nyx_app.services.engine.run_base import ExecutorBase
from nyx_app.services.errors import ServiceError
from nyx_app.services.llm import catalog
from nyx_app.services.llm.call import (
    Attempt,
    ImageInput,
    LlmRequest,
    complete,
    record_success,
    record_success_alone,
    recorded,
    success_insert,
)
from nyx_app.services.llm.errors import LlmUnavailable
from nyx_app.services.llm.validators import parse_json
from nyx_app.services.workflows import sandbox, schemas, templates
from nyx_app.services.workflows.definition import OutputFormat, StepDef
from nyx_app.settings import get_settings


def json_validator(
    output: OutputFormat, schema: dict[str, Any] | None = None, gate: uuid.UUID | None = None
) -> Callable[[str], Awaitable[None]] | None:
    """Rejects (ValueError) an answer that is not the JSON the step promises; the call path then
    tries the next model. A user's schema is checked in the sandbox (sandbox.py); one that cannot
    be used raises SchemaProblem before any call."""
    return sandbox.json_validator(output, schema, gate=gate)


class StepCalls(ExecutorBase):
    async def _run_tool_step(self, step: StepDef, row: StepRun, carried: Carried) -> None:
        """Built-in work (engine/toolbox.py): it streams progress and writes its rows with its end."""
        assert self.ctx is not None and self.project_id is not None
        await self.recorder.write_successes(carried.take(), self.ctx.user_id)
        error = await toolbox.run_tool_step(
            self.recorder, self.ctx, step, row, project_id=self.project_id, inputs=self.inputs
        )
        if error:
            self._failed.append(f"Step '{step.title}' failed: {error}")

    # -- one LLM step ----------------------------------------------------------------------------
    def _variables(self, row: StepRun) -> dict[str, Any]:
        assert self.material is not None
        steps = {
            s.key: templates.step_values(self.parent(s.key).output, self.parent(s.key).output_data)
            for s in self.definition.steps
            if self._status(self.parent(s.key)) == StepStatus.SUCCEEDED
        }
        variables = {**self.material.variables(), **self.knowledge, "steps": templates.Record(steps)}
        if row.item_index != NO_ITEM:
            variables.update(item=templates.wrap(row.item), item_index=row.item_index + 1)
        return variables

    async def _prompt(self, step: StepDef, row: StepRun, model: str) -> tuple[str, str, str]:
        """Rendered prompt and system prompt, plus the auto-context note."""
        variables = self._variables(row)
        prompt = await sandbox.render(step.prompt, variables, gate=self.tenant_id)
        system = await sandbox.render(step.system, variables, gate=self.tenant_id) if step.system else ""
        persona = self.personas.get(step.persona) if step.persona else None
        if persona is not None:  # the persona's own words are not a template: they lead as written
            system = "\n\n".join(part for part in (persona.lead, system) if part)
        named = templates.references(step.prompt).step_keys + templates.references(step.system).step_keys
        if named or not step.depends_on:
            return prompt, system, ""
        deps = [
            autocontext.Dependency(k, self.definition.step(k).title, self.parent(k).output)  # type: ignore[union-attr]
            for k in step.depends_on
        ]
        window = autocontext.context_window(model, get_settings().run_default_context_tokens)
        provider, model_id = catalog.split_ref(model)
        kind = provider if provider in catalog.BUILT_IN_PROVIDERS else catalog.OPENAI_COMPATIBLE
        litellm_model = catalog.litellm_model(kind, model_id)

        def count(text: str) -> int:
            return adapter.count_tokens(litellm_model, [{"role": "user", "content": text}])

        prompt, note = autocontext.build(
            prompt, system, deps, window=window, answer_tokens=step.max_tokens, count=count
        )
        return prompt, system, note

    async def _images(self) -> tuple[list[ImageInput], str]:
        if self._image_cache is None:
            assert self.material is not None
            self._image_cache = await material.load_images(self.material.images)
        return self._image_cache

    async def _run_llm_step(self, step: StepDef, row: StepRun, carried: Carried) -> None:
        try:
            async with self._gate:
                if self.stop.is_set() or self._failed or self.pausing:
                    row.status = StepStatus.QUEUED.value
                    return
                await self._call(step, row, carried)
        finally:
            # What it carried and did not send with its start (it failed or stopped before).
            await self.recorder.write_successes(carried.take(), self._user_id())

    def _persona_id(self, step: StepDef) -> uuid.UUID | None:
        return uuid.UUID(step.persona) if step.persona else None

    async def _call(self, step: StepDef, row: StepRun, carried: Carried) -> None:
        assert self.material is not None and self.ctx is not None
        model = step.model or self.material.project_model
        if step.persona and step.persona not in self.personas:
            await self._fail(step, row, "The persona this step speaks as was deleted; choose another one.")
            return
        try:
            prompt, system, note = await self._prompt(step, row, model)
            validator = json_validator(step.output, step.output_schema, self.tenant_id)
        except (templates.TemplateProblem, schemas.SchemaProblem) as problem:
            await self._fail(step, row, str(problem))
            return
        images, images_note = await self._images() if step.images else ([], "")
        note = " ".join(n for n in (note, images_note) if n)
        started = ev.StepStarted(row.id, catalog.split_ref(model)[0], model, prompt, note)
        setup = self._setups.fresh()
        if setup is not None:
            await self.recorder.started_at_once(started, self.ctx.user_id, carried.take())
        else:  # the call's set-up is read where the step is marked started
            await self.recorder.write_successes(carried.take(), self.ctx.user_id)
            async with self.recorder.applying(started, self.ctx.user_id) as session:
                setup = await self._setups.get(session, self.ctx)
        streamed: list[str] = []

        async def on_delta(piece: str) -> None:
            streamed.append(piece)
            await self.recorder.apply(ev.OutputDelta(row.id, "".join(streamed)))

        async def on_restart() -> None:
            streamed.clear()
            await self.recorder.apply(ev.OutputDelta(row.id, ""))

        async def on_attempt(attempt: Attempt) -> None:
            if attempt.status != "ok":
                self._setups.forget()  # the provider's status changed: the next step reads it anew
                await self.recorder.apply(ev.StepRetried(row.id, attempt_row(attempt)))

        # A fan-out item's answer is not streamed; a step's own answer is. LiteLLM spends 0.5-1 ms
        # of CPU on every streamed chunk, and 13 to 200 answers streaming at once kept the worker's
        # event loop (with ./scripts/run, the web process's) busy parsing chunks: the seed's 13
        # plans took 1.5 s instead of 1 s of a 1 s call. Items still show running and done live.
        streamed_answer = row.item_index == NO_ITEM
        timeout = None if streamed_answer else unstreamed_timeout(step.max_tokens)
        request = LlmRequest(
            prompt,
            model=model,
            system=system,
            images=images,
            images_as_text=self.material.images_as_text(),
            max_tokens=step.max_tokens,
            temperature=step.temperature,
            validator=validator,
            on_delta=on_delta if streamed_answer else None,
            on_restart=on_restart if streamed_answer else None,
            timeout=timeout,
            purpose=f"run · {step.title}"[:60],
            limiter=provider_gate(self.tenant_id),
            on_attempt=on_attempt,
            fallbacks=[] if self.pinned else None,
        )
        try:
            result = await complete(self.ctx, request, setup=setup, defer_success=True)
        except ServiceError as error:
            attempts = error.attempts if isinstance(error, LlmUnavailable) else []
            call_id = error.call_id if isinstance(error, LlmUnavailable) else None
            await self._fail(step, row, error.message, attempts, call_id)
            return
        data = parse_json(result.output) if step.output != OutputFormat.TEXT else None
        succeeded = ev.StepSucceeded(
            row.id,
            result.output,
            data,
            result.provider,
            f"{result.provider}/{result.model}",
            [attempt_row(a) for a in result.attempts],
            result.call_id,
            result.tokens_in,
            result.tokens_out,
            result.cost_usd,
            self._persona_id(step),
        )
        ctx = self.ctx
        try:
            # The step is done and its answer's attempt is logged (spend, provider health) together:
            # written with the next step's start (or at once, when none starts: handover.py).
            call_row = success_insert(self.ctx, result)
            if call_row is not None:
                done = self.recorder.success(
                    succeeded,
                    call_row,
                    committed=lambda: recorded(result),
                    lost=lambda: record_success_alone(ctx, result),
                )
                self._handover.succeeded(done)
            else:  # this answer changes the provider's badge: written with it, then read anew
                async with self.recorder.applying(succeeded, self.ctx.user_id) as session:
                    await record_success(session, self.ctx, result)
                self._setups.forget()
        except BaseException:
            # Cancelled or failed between the answer and its commit: the step will run again, but
            # this answer was paid for, so its attempt is logged on its own.
            await self.recorder.aside(record_success_alone(self.ctx, result))
            raise
        row.status, row.output, row.output_data = StepStatus.SUCCEEDED.value, result.output, data

    async def _fail(
        self,
        step: StepDef,
        row: StepRun,
        message: str,
        attempts: list[Attempt] | None = None,
        call_id: uuid.UUID | None = None,
    ) -> None:
        spent = attempts or []
        await self.recorder.apply(
            ev.StepFailed(
                row.id,
                message,
                [attempt_row(a) for a in spent],
                call_id,
                sum(a.tokens_in for a in spent),
                sum(a.tokens_out for a in spent),
                sum((a.cost_usd for a in spent), Decimal(0)),
                self._persona_id(step),
            )
        )
        row.status, row.error = StepStatus.FAILED.value, message
        if row.item_index == NO_ITEM:
            self._failed.append(f"Step '{step.title}' failed: {message}")


# An unstreamed answer arrives whole, so its timeout has to cover the whole generation; a streamed
# one's covers only the silence between chunks. The usual wait, plus the step's answer length at a
# slow 25 tokens a second (4,096 tokens when the step sets none, LiteLLM's default for Claude).
UNSTREAMED_TOKENS_PER_S = 25
DEFAULT_ANSWER_TOKENS = 4096


def unstreamed_timeout(max_tokens: int | None) -> float:
    return get_settings().llm_timeout_seconds + (max_tokens or DEFAULT_ANSWER_TOKENS) / UNSTREAMED_TOKENS_PER_S
