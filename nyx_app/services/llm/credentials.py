"""Per-tenant provider keys and endpoints, and each provider's health status.

Keys are encrypted before they reach the session and leave this module only to the call path;
everything the UI gets is a ProviderPublic (last four characters of the key at most).

Base URLs are checked against the outbound address policy when saved (``net_guard``), so a
refused address is said next to the form; the check that protects is the one at each call.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.integrations import net_guard
from nyx_app.integrations.llm import ErrorKind
from nyx_app.models.llm import (
    BASE_URL_MAX,
    MODEL_ID_MAX,
    PROVIDER_NAME_MAX,
    STATUS_MESSAGE_MAX,
    ProviderCredential,
    ProviderPublic,
    ProviderStatus,
)
from nyx_app.services import audit
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.llm import catalog
from nyx_app.services.llm.crypto import KeyUnreadable, decrypt_key, encrypt_key, last4
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import Problems, check_text, optional_text, parse_id, required_text

KEY_MAX = 500
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# A provider that keeps answering has its "last OK" time refreshed at most this often.
STATUS_REFRESH = timedelta(seconds=60)
# Provider health after a failed call: every kind of failure says something, so the badge always
# shows the latest outcome. BUDGET never reaches it (nothing was sent).
STATUS_BY_ERROR: dict[ErrorKind, ProviderStatus] = {
    ErrorKind.CREDIT: ProviderStatus.OUT_OF_CREDIT,
    ErrorKind.AUTH: ProviderStatus.INVALID_KEY,
    ErrorKind.RATE_LIMIT: ProviderStatus.RATE_LIMITED,
    ErrorKind.OVERLOADED: ProviderStatus.UNREACHABLE,
    ErrorKind.TIMEOUT: ProviderStatus.UNREACHABLE,
    ErrorKind.NETWORK: ProviderStatus.UNREACHABLE,
    ErrorKind.SERVER: ProviderStatus.UNREACHABLE,
    ErrorKind.INCOMPLETE_STREAM: ProviderStatus.UNREACHABLE,
    ErrorKind.REDIRECT: ProviderStatus.UNREACHABLE,
    ErrorKind.ADDRESS_REFUSED: ProviderStatus.ADDRESS_REFUSED,
    ErrorKind.BAD_REQUEST: ProviderStatus.REQUEST_REFUSED,
    ErrorKind.CONTEXT_TOO_LONG: ProviderStatus.REQUEST_REFUSED,
    ErrorKind.BAD_RESPONSE: ProviderStatus.ANSWER_PROBLEM,
    ErrorKind.EMPTY: ProviderStatus.ANSWER_PROBLEM,
    ErrorKind.INVALID: ProviderStatus.ANSWER_PROBLEM,
}
STATUS_LABELS: dict[ProviderStatus, str] = {
    ProviderStatus.OK: "OK",
    ProviderStatus.UNTESTED: "Not tested yet",
    ProviderStatus.OUT_OF_CREDIT: "Out of credit",
    ProviderStatus.INVALID_KEY: "Invalid key",
    ProviderStatus.RATE_LIMITED: "Rate-limited",
    ProviderStatus.UNREACHABLE: "Unreachable",
    ProviderStatus.ADDRESS_REFUSED: "Address not allowed",
    ProviderStatus.REQUEST_REFUSED: "Last request refused",
    ProviderStatus.ANSWER_PROBLEM: "Last answer unusable",
}


@dataclass(frozen=True, slots=True)
class ResolvedProvider:
    """A provider ready to call: decrypted key, base URL, and (for endpoints) its models."""

    kind: str
    name: str
    api_key: str
    api_base: str
    models: tuple[str, ...]
    problem: str = ""  # why it cannot be called (an unreadable key); the call path reports it
    retry_at: datetime | None = None
    # When it last answered, if its badge said OK (and no retry-after) as the call began.
    ok_at: datetime | None = None
    # What the tenant set its endpoint's models to cost: USD per million input and output tokens.
    prices: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)


def to_public(cred: ProviderCredential) -> ProviderPublic:
    return ProviderPublic.model_validate(cred, from_attributes=True)


def _require_manager(ctx: TenantContext) -> None:
    require(ctx, Action.PROVIDER_KEYS_MANAGE)


async def normalise_base_url(url: str, *, required: bool) -> str:
    """A clean http(s) base URL the server may call (``net_guard``), or "" when optional and empty."""
    cleaned = optional_text(url, "Base URL", BASE_URL_MAX).rstrip("/")
    if not cleaned:
        if required:
            raise InvalidInput("Enter the endpoint's base URL, e.g. https://llm.example.com/v1.")
        return ""
    try:
        parsed = urlparse(cleaned)
        _ = parsed.port  # raises ValueError for a port that is not a number
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInput("The base URL must start with http:// or https://, e.g. https://llm.example.com/v1.")
    if parsed.username or parsed.password:
        raise InvalidInput("Put the key in the key field, not in the base URL.")
    try:
        await net_guard.check_url(cleaned)
    except net_guard.RefusedAddress as refused:
        raise InvalidInput(refused.message) from None
    return cleaned


def _clean_key(api_key: str, *, required: bool) -> str:
    key = (api_key or "").strip()
    if required and not key:
        raise InvalidInput("Paste the API key.")
    if len(key) > KEY_MAX or any(c.isspace() for c in key):
        raise InvalidInput("That does not look like an API key (it has spaces or is far too long).")
    return check_text(key, "The API key")


def parse_model_ids(raw: str) -> list[str]:
    ids = [m.strip() for m in (raw or "").replace("\n", ",").split(",") if m.strip()]
    if not ids:
        raise InvalidInput("List at least one model the endpoint serves, e.g. llama3.1:8b.")
    if any(len(m) > MODEL_ID_MAX or " " in m for m in ids):
        raise InvalidInput(f"Model ids have no spaces and at most {MODEL_ID_MAX} characters.")
    return list(dict.fromkeys(check_text(m, "A model id") for m in ids))


PRICE_MAX = Decimal(10_000)  # USD per million tokens: more is a typo
PRICES_EXAMPLE = "llama3.1:8b = 0.20 / 0.60"


def parse_model_prices(raw: str, models: list[str]) -> dict[str, dict[str, str]]:
    """What the tenant pays for its endpoint's models, USD per million input / output tokens, one
    model per line or comma: ``llama3.1:8b = 0.20 / 0.60``. Models left out have an unknown price."""
    prices: dict[str, dict[str, str]] = {}
    for entry in (raw or "").replace("\n", ",").split(","):
        if not entry.strip():
            continue
        model, sep, pair = entry.rpartition("=")
        model = model.strip()
        amounts = pair.split("/")
        if not sep or not model or len(amounts) != 2:
            raise InvalidInput(f"Write each price as model = input / output per million tokens, e.g. {PRICES_EXAMPLE}.")
        if model not in models:
            raise InvalidInput(f"{model!r} is not one of this endpoint's models; list it under Models first.")
        try:
            price_in, price_out = (Decimal(a.strip().lstrip("$")) for a in amounts)
        except InvalidOperation:
            raise InvalidInput(f"The price of {model} is not a number, e.g. {PRICES_EXAMPLE}.") from None
        if not all(p.is_finite() and 0 <= p <= PRICE_MAX for p in (price_in, price_out)):
            raise InvalidInput(f"Prices are between $0 and ${PRICE_MAX:,} per million tokens.")
        prices[model] = {"input": str(price_in), "output": str(price_out)}
    return prices


def stored_prices(stored: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """The prices as saved (``parse_model_prices``), for the call path; entries it cannot read are left out."""
    prices = {}
    for model, price in (stored or {}).items():
        try:
            prices[model] = (Decimal(str(price["input"])), Decimal(str(price["output"])))
        except (KeyError, TypeError, InvalidOperation):
            continue
    return prices


def prices_text(stored: dict[str, Any]) -> str:
    """The prices as the form shows them again."""
    return ", ".join(f"{m} = {p[0]} / {p[1]}" for m, p in stored_prices(stored).items())


async def list_providers(session: AsyncSession, ctx: TenantContext) -> list[ProviderPublic]:
    rows = await session.exec(select(ProviderCredential).order_by(col(ProviderCredential.name)))
    return [to_public(c) for c in rows]


async def _by_name(session: AsyncSession, name: str) -> ProviderCredential | None:
    return (await session.exec(select(ProviderCredential).where(ProviderCredential.name == name))).first()


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:  # added by a concurrent request a moment ago
        raise InvalidInput(f"A provider named {name!r} already exists.") from None


def _reset_status(cred: ProviderCredential) -> None:
    """A new key or endpoint: what was said about the old one no longer applies."""
    cred.status, cred.status_at, cred.last_error, cred.last_error_at = ProviderStatus.UNTESTED, None, "", None


async def save_key(
    session: AsyncSession, ctx: TenantContext, provider: str, api_key: str, base_url: str = ""
) -> ProviderPublic:
    """Add or replace the key of a built-in provider. ``base_url`` routes it through a proxy.
    Every field is checked before anything is refused (``InvalidFields``)."""
    _require_manager(ctx)
    problems = Problems()
    if provider not in catalog.BUILT_IN_PROVIDERS:
        problems.add("provider", "Choose Anthropic, OpenAI or Google Gemini.")
    key = problems.check("api_key", _clean_key, api_key, required=True)
    base = await problems.check_async("base_url", normalise_base_url(base_url, required=False))
    problems.raise_if_any()
    assert key is not None and base is not None
    cred = await _by_name(session, provider) or ProviderCredential(
        tenant_id=ctx.tenant_id, provider=provider, name=provider
    )
    cred.base_url = base
    cred.key_ciphertext, cred.key_last4 = encrypt_key(key), last4(key)
    _reset_status(cred)
    cred.updated_at = utcnow()
    session.add(cred)
    await _flush(session, provider)
    await audit.record(
        session,
        ctx,
        audit.AuditAction.PROVIDER_KEY_ADDED,
        object_type="provider",
        object_id=cred.id,
        object_label=provider,
        details={"key_last4": cred.key_last4, "base_url": base},
    )
    return to_public(cred)


def _endpoint_name(raw: str) -> str:
    name = required_text(raw, "Endpoint name", PROVIDER_NAME_MAX).lower()
    if not NAME_RE.match(name):
        raise InvalidInput("Endpoint names use lower-case letters, digits and '-', e.g. ollama-local.")
    if name in catalog.BUILT_IN_PROVIDERS or name == catalog.OPENAI_COMPATIBLE:
        raise InvalidInput(f"{name!r} is a built-in provider name; choose another endpoint name.")
    return name


async def save_endpoint(
    session: AsyncSession,
    ctx: TenantContext,
    name: str,
    base_url: str,
    model_ids: str,
    api_key: str = "",
    prices: str = "",
) -> ProviderPublic:
    """Add or update an OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, a gateway), with what
    its models cost if the tenant knows (``parse_model_prices``; else their price is unknown).
    Every field is checked before anything is refused (``InvalidFields``)."""
    _require_manager(ctx)
    problems = Problems()
    checked_name = problems.check("name", _endpoint_name, name)
    key = problems.check("api_key", _clean_key, api_key, required=False)
    base = await problems.check_async("base_url", normalise_base_url(base_url, required=True))
    models = problems.check("models", parse_model_ids, model_ids)
    model_prices = problems.check("prices", parse_model_prices, prices, models or []) if models else {}
    cred = await _by_name(session, checked_name) if checked_name else None
    if cred is not None and cred.provider != catalog.OPENAI_COMPATIBLE:
        problems.add("name", f"{checked_name!r} is already used by another provider.")
    problems.raise_if_any()
    assert checked_name is not None and key is not None and base is not None and models is not None
    if cred is None:
        cred = ProviderCredential(tenant_id=ctx.tenant_id, provider=catalog.OPENAI_COMPATIBLE, name=checked_name)
    cred.base_url = base
    cred.models = models
    cred.model_prices = model_prices or {}
    if key:  # an empty key field keeps the stored one (local servers often need none)
        cred.key_ciphertext, cred.key_last4 = encrypt_key(key), last4(key)
    _reset_status(cred)
    cred.updated_at = utcnow()
    session.add(cred)
    await _flush(session, checked_name)
    await audit.record(
        session,
        ctx,
        audit.AuditAction.PROVIDER_KEY_ADDED,
        object_type="provider",
        object_id=cred.id,
        object_label=checked_name,
        details={"base_url": base, "key_changed": bool(key)},
    )
    return to_public(cred)


async def remove_provider(session: AsyncSession, ctx: TenantContext, credential_id: str | uuid.UUID) -> None:
    _require_manager(ctx)
    cred = await session.get(ProviderCredential, parse_id(credential_id, "Provider"))
    if cred is None:
        raise NotFound("Provider not found.")
    await audit.record(
        session,
        ctx,
        audit.AuditAction.PROVIDER_REMOVED,
        object_type="provider",
        object_id=cred.id,
        object_label=cred.name,
    )
    await session.delete(cred)
    await session.flush()


def _recent(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and now - moment < STATUS_REFRESH


def _resolve(cred: ProviderCredential) -> ResolvedProvider:
    try:
        key, problem = decrypt_key(cred.key_ciphertext), ""
    except KeyUnreadable as exc:  # one unreadable key must not break calls to the other providers
        key, problem = "", exc.message
    ok_at = cred.last_ok_at if cred.status == ProviderStatus.OK and cred.retry_at is None else None
    return ResolvedProvider(
        cred.provider, cred.name, key, cred.base_url, tuple(cred.models), problem, cred.retry_at, ok_at,
        stored_prices(cred.model_prices),
    )  # fmt: skip


def still_ok(provider: ResolvedProvider) -> bool:
    """A success would change nothing on this provider's badge (what ``mark_status`` would find
    without reading the row again): it said OK, with a recent answer, when the call began."""
    return _recent(provider.ok_at, utcnow())


async def resolve_all(session: AsyncSession, ctx: TenantContext) -> dict[str, ResolvedProvider]:
    """Decrypted providers by name, for the call path only."""
    return {c.name: _resolve(c) for c in await session.exec(select(ProviderCredential))}


async def mark_status(
    session: AsyncSession,
    ctx: TenantContext,
    name: str,
    kind: ErrorKind | None,
    message: str,
    retry_after: float | None = None,
) -> None:
    """Record a provider's health after a call: ok on success, else the status its error implies,
    with the error as ``last_error``; a rate limit with retry-after also says until when the
    provider is not to be called. The badge always shows the latest outcome."""
    cred = await _by_name(session, name)
    if cred is None or (kind is not None and kind not in STATUS_BY_ERROR):
        return
    now = utcnow()
    unchanged = kind is None and cred.status == ProviderStatus.OK and cred.retry_at is None
    if unchanged and _recent(cred.last_ok_at, now):
        return  # nothing new to say: calls running side by side need not queue on this row's lock
    if kind is None:
        cred.status, cred.last_ok_at = ProviderStatus.OK, now
    else:
        cred.status, cred.last_error, cred.last_error_at = STATUS_BY_ERROR[kind], message[:STATUS_MESSAGE_MAX], now
    cred.retry_at = now + timedelta(seconds=retry_after) if kind == ErrorKind.RATE_LIMIT and retry_after else None
    cred.status_at = now
    session.add(cred)
    await session.flush()
