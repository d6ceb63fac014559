"""The one LLM call path. Every LLM call in the app goes through ``complete``.

It tries the chosen model, then the tenant's fallback chain (any providers, in order); classifies
each failure; retries only what waiting can fix; never accepts an empty answer or one the caller's
validator rejects; records every attempt; and when all fail, raises LlmUnavailable naming each.

Transactions: this function is an edge of its own. It reads credentials in one short transaction
and records each attempt in another as soon as it ends, so the log and provider status survive a
call that ultimately fails, and no database connection is held while a provider thinks.

A caller that writes its own transactions around the call anyway (the run engine, once per step)
can fold both ends into them: ``prepare`` reads the set-up inside the caller's transaction before
the call, and with ``defer_success=True`` the accepted attempt is left for ``record_success``
inside the caller's transaction after it (or for ``success_insert``, one prepared INSERT, when
the caller sends its transaction in one round trip). Failed attempts are always recorded at once.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.pipeline import Bound, Compiled
from nyx_app.db.session import after_commit, transaction
from nyx_app.integrations import llm as adapter
from nyx_app.integrations.llm import Completion, ErrorKind, ProviderFailure
from nyx_app.models.llm import ERROR_MESSAGE_MAX, LlmCall
from nyx_app.services.context import TenantContext
from nyx_app.services.llm import budget as budgets
from nyx_app.services.llm import catalog
from nyx_app.services.llm.attempt import Attempt, AttemptStatus
from nyx_app.services.llm.credentials import ResolvedProvider, mark_status, resolve_all, still_ok
from nyx_app.services.llm.errors import BudgetExceeded, LlmUnavailable, NoProvider
from nyx_app.services.llm.preferences import budget_and_chain
from nyx_app.settings import get_settings

log = logging.getLogger(__name__)

# Waiting can fix these; the others need another provider (or the user).
RETRYABLE = {ErrorKind.RATE_LIMIT, ErrorKind.OVERLOADED, ErrorKind.SERVER, ErrorKind.NETWORK}
# The whole account is affected: its other models in the chain would fail the same way.
ACCOUNT_WIDE = {ErrorKind.CREDIT, ErrorKind.AUTH, ErrorKind.ADDRESS_REFUSED, ErrorKind.REDIRECT}
COST_STEP = Decimal("0.00000001")  # the precision llm_call.cost_usd stores


@dataclass(frozen=True, slots=True)
class ImageInput:
    data: bytes
    media_type: str  # image/png, image/jpeg, ...


@dataclass
class LlmRequest:
    prompt: str
    model: str = catalog.DEFAULT_MODEL_REF  # "provider/model"
    system: str = ""
    images: Sequence[ImageInput] = ()
    # Sent instead of the images to a model that cannot see (e.g. the images' descriptions).
    images_as_text: str = ""
    max_tokens: int | None = None
    temperature: float | None = None
    # Raise ValueError (message says why) to reject an answer; the next model is then tried.
    # Sync, or async (a check that runs elsewhere, e.g. against a user's schema in the sandbox).
    validator: Callable[[str], Awaitable[None] | None] | None = None
    # Streaming: called with each piece of text; on_restart before a fallback starts streaming anew.
    on_delta: Callable[[str], Awaitable[None]] | None = None
    on_restart: Callable[[], Awaitable[None]] | None = None
    fallbacks: Sequence[str] | None = None  # None: the tenant's fallback chain
    purpose: str = ""
    timeout: float | None = None
    # A provider that answered "retry after N s" is skipped until then, unless the user insists (Test).
    ignore_retry_at: bool = False
    # Wraps each provider attempt (the run engine limits concurrent calls per provider with it).
    limiter: Callable[[str], AbstractAsyncContextManager[object]] | None = None
    # Told of every attempt as soon as it is recorded (a run page shows failed attempts live).
    on_attempt: Callable[[Attempt], Awaitable[None]] | None = None


@dataclass(frozen=True, slots=True)
class CallSetup:
    """What a call reads before it sends anything: the tenant's providers (keys decrypted), its
    fallback chain and budget. What the month has cost is read where each attempt reserves its
    worst case against the budget (``budget.reserve``), not here."""

    providers: dict[str, ResolvedProvider]
    fallback_order: list[str]
    monthly_budget_usd: Decimal | None


@dataclass(frozen=True, slots=True)
class _Unrecorded:
    """An accepted attempt whose row the caller writes in its own transaction (``record_success``)."""

    purpose: str
    target: _Target
    attempt: Attempt
    reservation: budgets.Reservation | None = None


@dataclass
class LlmResult:
    output: str
    provider: str
    model: str
    call_id: uuid.UUID
    attempts: list[Attempt] = field(default_factory=list)
    unrecorded: _Unrecorded | None = None

    @property
    def tokens_in(self) -> int:
        return sum(a.tokens_in for a in self.attempts)

    @property
    def tokens_out(self) -> int:
        return sum(a.tokens_out for a in self.attempts)

    @property
    def cost_usd(self) -> Decimal:
        return sum((a.cost_usd for a in self.attempts), Decimal(0))

    @property
    def latency_ms(self) -> int:
        return sum(a.latency_ms for a in self.attempts)


@dataclass(frozen=True, slots=True)
class _Target:
    provider: ResolvedProvider
    model_id: str
    info: catalog.ModelInfo | None

    @property
    def ref(self) -> str:
        return f"{self.provider.name}/{self.model_id}"

    @property
    def price(self) -> tuple[Decimal, Decimal] | None:
        """USD per million input and output tokens: what the tenant set for its endpoint's model,
        else the catalog's; None when unknown."""
        if self.model_id in self.provider.prices:
            return self.provider.prices[self.model_id]
        info = self.info
        if info is None or info.input_per_mtok is None or info.output_per_mtok is None:
            return None
        return Decimal(str(info.input_per_mtok)), Decimal(str(info.output_per_mtok))


def build_messages(request: LlmRequest, *, vision: bool = True) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}] if request.system else []
    if not request.images or not vision:
        prompt = request.prompt if not request.images else f"{request.prompt}\n\n{request.images_as_text}".rstrip()
        return [*messages, {"role": "user", "content": prompt}]
    content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
    for image in request.images:
        url = f"data:{image.media_type};base64,{base64.b64encode(image.data).decode()}"
        content.append({"type": "image_url", "image_url": {"url": url}})
    return [*messages, {"role": "user", "content": content}]


def _targets(request: LlmRequest, providers: dict[str, ResolvedProvider], chain: Sequence[str]) -> list[_Target]:
    """The chosen model then the chain, keeping only models whose provider is set up (and that
    can see, if the request has images)."""
    targets: list[_Target] = []
    for ref in dict.fromkeys([request.model, *chain]):
        name, model_id = catalog.split_ref(ref)
        provider = providers.get(name)
        if provider is None or not model_id:
            continue
        if provider.kind == catalog.OPENAI_COMPATIBLE and model_id not in provider.models:
            continue
        info = catalog.find(ref)
        if request.images and info is not None and not info.vision and not request.images_as_text:
            continue
        targets.append(_Target(provider, model_id, info))
    return targets


PER_MILLION = Decimal(1_000_000)


def _worst_case(target: _Target, messages: list[dict[str, Any]], max_tokens: int) -> Decimal | None:
    """A call's worst-case cost: its prompt's tokens counted, and all ``max_tokens`` of answer at
    the model's price (None when the price is unknown)."""
    price = target.price
    if price is None:
        return None
    tokens_in = adapter.count_tokens(catalog.litellm_model(target.provider.kind, target.model_id), messages)
    return ((price[0] * tokens_in + price[1] * max_tokens) / PER_MILLION).quantize(COST_STEP)


def _hold_seconds(request: LlmRequest, max_tokens: int) -> float:
    """How long a reservation lasts: longer than the call can take (its timeout, plus the whole
    answer at a slow 25 tokens a second, plus a minute); a dead worker's then lapses."""
    return (request.timeout or get_settings().llm_timeout_seconds) + max_tokens / 25 + 60


def _call_row(
    ctx: TenantContext, call_id: uuid.UUID, purpose: str, target: _Target, attempt: Attempt
) -> dict[str, Any]:
    """An attempt's ``llm_call`` row (without the id and time its model gives it)."""
    return {
        "tenant_id": ctx.tenant_id,
        "call_id": call_id,
        "attempt_no": attempt.attempt_no,
        "user_id": ctx.user_id,
        "purpose": purpose[:60],
        "provider": target.provider.name,
        "model": target.model_id,
        "status": attempt.status,
        "error_kind": attempt.error_kind,
        "error_message": attempt.error_message[:ERROR_MESSAGE_MAX],
        "tokens_in": attempt.tokens_in,
        "tokens_out": attempt.tokens_out,
        "cost_usd": attempt.cost_usd,
        "latency_ms": attempt.latency_ms,
    }


async def _write_attempt(
    session: AsyncSession,
    ctx: TenantContext,
    call_id: uuid.UUID,
    purpose: str,
    target: _Target,
    attempt: Attempt,
    retry_after: float | None = None,
    reservation: budgets.Reservation | None = None,
) -> None:
    kind = ErrorKind(attempt.error_kind) if attempt.error_kind else None
    if kind is not None:
        log.warning(
            "LLM attempt %s of call %s failed: %s %s/%s: %s",
            attempt.attempt_no, call_id, kind.value, target.provider.name, target.model_id, attempt.error_message,
        )  # fmt: skip
    session.add(LlmCall(**_call_row(ctx, call_id, purpose, target, attempt)))
    await budgets.settle(session, reservation)  # what it cost replaces what it held
    if attempt.status == AttemptStatus.OK and still_ok(target.provider):
        return  # the badge already says so: calls side by side need not queue on its row
    if attempt.status in (AttemptStatus.OK, AttemptStatus.FAILED):  # only what the provider itself said
        await mark_status(session, ctx, target.provider.name, kind, attempt.error_message, retry_after)


async def _record(
    ctx: TenantContext,
    call_id: uuid.UUID,
    purpose: str,
    target: _Target,
    attempt: Attempt,
    retry_after: float | None = None,
    reservation: budgets.Reservation | None = None,
) -> None:
    async with transaction(tenant_id=ctx.tenant_id, user_id=ctx.user_id) as session:
        await _write_attempt(session, ctx, call_id, purpose, target, attempt, retry_after, reservation)


async def record_success(session: AsyncSession, ctx: TenantContext, result: LlmResult) -> None:
    """Write the accepted attempt of a ``complete(..., defer_success=True)`` call in the caller's
    transaction, so it commits (or not) with what the caller makes of the answer."""
    pending = result.unrecorded
    if pending is None:
        return
    await _write_attempt(
        session, ctx, result.call_id, pending.purpose, pending.target, pending.attempt, None, pending.reservation
    )

    async def recorded() -> None:  # only once it has committed: else record_success_alone writes it
        result.unrecorded = None

    after_commit(session, recorded)


_INSERT_CALL = Compiled(insert(LlmCall))


def success_insert(ctx: TenantContext, result: LlmResult) -> list[Bound] | None:
    """The accepted attempt of a ``complete(..., defer_success=True)`` call as one INSERT (and the
    deletion of its budget reservation, if any), for a caller that sends its transaction at once
    (``db.pipeline.write_at_once``); after it commits, ``recorded(result)``. None when there is
    nothing to write, or when recording it takes more than its row (the provider's badge
    changes): then ``record_success`` in a session does it."""
    pending = result.unrecorded
    if pending is None or not still_ok(pending.target.provider):
        return None
    row = _call_row(ctx, result.call_id, pending.purpose, pending.target, pending.attempt)
    return [
        _INSERT_CALL.bind({**row, "id": uuid.uuid4(), "created_at": utcnow()}),
        *budgets.settle_statement(pending.reservation),
    ]


def recorded(result: LlmResult) -> None:
    """The caller's transaction holding ``success_insert``'s row has committed."""
    result.unrecorded = None


async def record_success_alone(ctx: TenantContext, result: LlmResult) -> None:
    """``record_success`` in a transaction of its own: for a caller whose transaction failed or was
    cancelled after the provider answered. The answer was paid for, so its row is kept anyway."""
    if result.unrecorded is not None:
        async with transaction(tenant_id=ctx.tenant_id, user_id=ctx.user_id) as session:
            await record_success(session, ctx, result)


class SetupCache:
    """A caller making many calls in a row (a run's steps) reads the tenant's providers and
    preferences once a second, not before every call (the budget is checked against the month's
    spend at each attempt, by its reservation). ``forget`` after a failed attempt: a provider's new
    status (or its retry-after) then reaches the very next call."""

    def __init__(self, fresh_seconds: float = 1.0) -> None:
        self.fresh_seconds = fresh_seconds
        self._setup: CallSetup | None = None
        self._read_at = 0.0

    async def get(self, session: AsyncSession, ctx: TenantContext) -> CallSetup:
        now = time.monotonic()
        if self._setup is None or now - self._read_at > self.fresh_seconds:
            self._setup, self._read_at = await prepare(session, ctx), now
        return self._setup

    def fresh(self) -> CallSetup | None:
        """The set-up, if it can be used without reading anything (read less than a second ago);
        else None: ``get`` it."""
        if self._setup is None:
            return None
        return self._setup if time.monotonic() - self._read_at <= self.fresh_seconds else None

    def forget(self) -> None:
        self._setup = None


async def prepare(session: AsyncSession, ctx: TenantContext) -> CallSetup:
    """Read a call's set-up in the caller's transaction (``complete`` reads it itself if not given)."""
    providers = await resolve_all(session, ctx)
    budget, chain = await budget_and_chain(session, ctx)
    return CallSetup(providers, chain, budget)


def _api_key(provider: ResolvedProvider) -> str:
    # Local servers (Ollama, LM Studio) take no key, but the OpenAI SDK refuses to send without one.
    if not provider.api_key and provider.kind == catalog.OPENAI_COMPATIBLE:
        return "no-key"
    return provider.api_key


async def _check_answer(done: Completion, validator: Callable[[str], Awaitable[None] | None] | None) -> None:
    if not done.text.strip():
        raise ProviderFailure(ErrorKind.EMPTY, "The model returned an empty answer.")
    if validator is not None:
        try:
            outcome = validator(done.text)
            if inspect.isawaitable(outcome):
                await outcome
        except ValueError as exc:
            raise ProviderFailure(ErrorKind.INVALID, f"The answer was not usable: {exc}") from None


async def _attempt(
    request: LlmRequest, target: _Target, messages: list[dict[str, Any]], no: int, max_tokens: int | None
) -> tuple[Attempt, str, float | None]:
    """One provider call, classified: the attempt, the accepted answer ("" if none), the retry hint."""
    settings = get_settings()
    started = time.monotonic()
    done: Completion | None = None
    try:
        if target.provider.problem:
            raise ProviderFailure(ErrorKind.AUTH, target.provider.problem)
        done = await adapter.complete(
            model=catalog.litellm_model(target.provider.kind, target.model_id),
            messages=messages,
            api_key=_api_key(target.provider),
            api_base=target.provider.api_base,
            timeout=request.timeout or settings.llm_timeout_seconds,
            max_tokens=max_tokens,
            temperature=request.temperature,
            on_delta=request.on_delta,
        )
        await _check_answer(done, request.validator)
        status, kind, message, retry_after = AttemptStatus.OK, "", "", None
    except ProviderFailure as failure:
        status, kind, message = AttemptStatus.FAILED, failure.kind.value, failure.message
        retry_after = failure.retry_after
        if retry_after is not None:
            message += f" (retry after {retry_after:g} s)"
    latency = int((time.monotonic() - started) * 1000)
    # An empty or rejected answer was still paid for: keep its tokens and cost.
    tokens_in, tokens_out, cost = (
        (done.tokens_in, done.tokens_out, Decimal(str(done.cost_usd))) if done else (0, 0, Decimal(0))
    )
    if done is not None and target.model_id in target.provider.prices:  # the tenant's price for its endpoint
        price_in, price_out = target.provider.prices[target.model_id]
        cost = (price_in * tokens_in + price_out * tokens_out) / PER_MILLION
    attempt = Attempt(
        no, target.provider.name, target.model_id, status, kind, message, tokens_in, tokens_out,
        cost.quantize(COST_STEP), latency,
    )  # fmt: skip
    return attempt, done.text if done and status == AttemptStatus.OK else "", retry_after


def _waiting(target: _Target, request: LlmRequest) -> Attempt | None:
    """A skipped attempt if the provider asked (retry-after) not to be called yet.

    Kept per provider account, not per model: coarser than some providers' limits, but a
    provider that asked for minutes of quiet gets them from every call of this tenant.
    """
    retry_at = target.provider.retry_at
    if request.ignore_retry_at or retry_at is None or retry_at <= utcnow():
        return None
    message = f"The provider asked not to be called before {retry_at:%H:%M:%S} UTC; skipped."
    return Attempt(0, target.provider.name, target.model_id, AttemptStatus.SKIPPED, ErrorKind.RATE_LIMIT.value, message,
                   0, 0, Decimal(0), 0)  # fmt: skip


async def _tell(request: LlmRequest, attempt: Attempt) -> None:
    if request.on_attempt is not None:
        await request.on_attempt(attempt)


def _retry_wait(attempt: Attempt, retry_after: float | None, tries: int) -> float | None:
    """Seconds to wait before retrying the same model, or None to move on."""
    settings = get_settings()
    if not attempt.error_kind or ErrorKind(attempt.error_kind) not in RETRYABLE:
        return None
    if tries > settings.llm_retries_per_model:
        return None
    wait = retry_after if retry_after is not None else 0.5 * tries
    return wait if wait <= settings.llm_max_retry_wait_seconds else None


async def complete(
    ctx: TenantContext, request: LlmRequest, *, setup: CallSetup | None = None, defer_success: bool = False
) -> LlmResult:
    """Run one LLM call for the tenant. Returns a non-empty, validated answer or raises
    LlmUnavailable / BudgetExceeded / NoProvider (ServiceErrors with user-readable messages).

    ``setup``: read by the caller with ``prepare`` (else read here, in a transaction of its own).
    ``defer_success``: the accepted attempt is not written here; the caller must pass the result
    to ``record_success`` (or ``record_success_alone``)."""
    if setup is None:
        async with transaction(tenant_id=ctx.tenant_id, user_id=ctx.user_id) as session:
            setup = await prepare(session, ctx)
    chain = request.fallbacks if request.fallbacks is not None else setup.fallback_order
    targets = _targets(request, setup.providers, chain)
    if not targets:
        raise NoProvider(
            f"No provider is set up for {request.model} or any model in the fallback chain. "
            "Add a key in Settings → Providers."
        )
    seeing, blind = build_messages(request), build_messages(request, vision=False)
    call_id, attempts, dead_accounts = uuid.uuid4(), list[Attempt](), set[str]()
    budget = setup.monthly_budget_usd
    # With a budget, every attempt has a known worst case: an answer length is always asked for.
    max_tokens = request.max_tokens or (get_settings().llm_budget_output_estimate if budget is not None else None)
    for index, target in enumerate(targets):
        if target.provider.name in dead_accounts:
            continue
        waiting = _waiting(target, request)
        if waiting is not None:
            attempts.append(replace(waiting, attempt_no=len(attempts) + 1))
            await _record(ctx, call_id, request.purpose, target, attempts[-1])
            await _tell(request, attempts[-1])
            continue
        # A model known to be blind gets the images' text instead; unknown models are sent images.
        messages = blind if target.info is not None and not target.info.vision else seeing
        tries = 0
        while True:
            reservation = None
            if budget is not None and max_tokens is not None:
                # Counting the prompt's tokens costs ~1 ms of CPU: only when there is a budget.
                try:
                    reservation = await budgets.reserve(
                        ctx,
                        call_id,
                        _worst_case(target, messages, max_tokens),
                        budget,
                        target.ref,
                        hold_s=_hold_seconds(request, max_tokens),
                    )
                except BudgetExceeded as refusal:
                    if index == 0 and tries == 0:
                        raise
                    refused = Attempt(len(attempts) + 1, target.provider.name, target.model_id, AttemptStatus.REFUSED,
                                      ErrorKind.BUDGET.value, refusal.message, 0, 0, Decimal(0), 0)  # fmt: skip
                    attempts.append(refused)
                    await _record(ctx, call_id, request.purpose, target, refused)
                    await _tell(request, refused)
                    break
            if attempts and request.on_delta and request.on_restart:
                await request.on_restart()
            tries += 1
            async with request.limiter(target.provider.name) if request.limiter else nullcontext():
                attempt, output, retry_after = await _attempt(request, target, messages, len(attempts) + 1, max_tokens)
            attempts.append(attempt)
            accepted = attempt.status == AttemptStatus.OK
            if accepted and defer_success:
                unrecorded = _Unrecorded(request.purpose, target, attempt, reservation)
                return LlmResult(output, target.provider.name, target.model_id, call_id, attempts, unrecorded)
            await _record(ctx, call_id, request.purpose, target, attempt, retry_after, reservation)
            await _tell(request, attempt)
            if accepted:
                return LlmResult(output, target.provider.name, target.model_id, call_id, attempts)
            wait = _retry_wait(attempt, retry_after, tries)
            if wait is None:
                break
            await asyncio.sleep(wait)
        if attempts[-1].error_kind and ErrorKind(attempts[-1].error_kind) in ACCOUNT_WIDE:
            dead_accounts.add(target.provider.name)
    raise LlmUnavailable(attempts, call_id)
