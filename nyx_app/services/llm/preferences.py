"""Per-tenant LLM preferences: the monthly budget and the fallback chain."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.llm import TenantLlmSettings
from nyx_app.services import audit
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidFields, InvalidInput
from nyx_app.services.llm import catalog
from nyx_app.services.llm.credentials import resolve_all
from nyx_app.services.permissions import Action, require

BUDGET_MAX = Decimal("1000000")
FALLBACK_MAX = 8


async def get_preferences(session: AsyncSession, ctx: TenantContext) -> TenantLlmSettings:
    """The tenant's row, or unsaved defaults (no budget, no fallbacks) if it has none yet."""
    return await session.get(TenantLlmSettings, ctx.tenant_id) or TenantLlmSettings(tenant_id=ctx.tenant_id)


async def budget_and_chain(session: AsyncSession, ctx: TenantContext) -> tuple[Decimal | None, list[str]]:
    """The budget and the fallback chain, for the call path before every call: read as two
    columns, since building a (default) settings model costs more than the read itself."""
    row = (
        await session.execute(
            select(col(TenantLlmSettings.monthly_budget_usd), col(TenantLlmSettings.fallback_order)).where(
                col(TenantLlmSettings.tenant_id) == ctx.tenant_id
            )
        )
    ).first()
    return (row[0], list(row[1] or [])) if row is not None else (None, [])


def parse_budget(raw: str) -> Decimal | None:
    cleaned = (raw or "").strip().lstrip("$").replace(",", "")
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput("Enter the budget in US dollars, e.g. 50 or 12.50 (empty for no limit).") from None
    if not amount.is_finite() or amount < 0 or amount > BUDGET_MAX:
        raise InvalidInput("The budget must be between $0 and $1,000,000.")
    return amount.quantize(Decimal("0.01"))


async def _save(session: AsyncSession, prefs: TenantLlmSettings) -> TenantLlmSettings:
    prefs.updated_at = utcnow()
    session.add(prefs)
    await session.flush()
    return prefs


async def set_budget(session: AsyncSession, ctx: TenantContext, raw: str) -> TenantLlmSettings:
    require(ctx, Action.BUDGET_MANAGE)
    try:
        budget = parse_budget(raw)
    except InvalidInput as exc:
        raise InvalidFields({"budget": exc.message}) from None
    prefs = await get_preferences(session, ctx)
    before, prefs.monthly_budget_usd = prefs.monthly_budget_usd, budget
    await audit.record(
        session,
        ctx,
        audit.AuditAction.BUDGET_CHANGED,
        object_type="budget",
        object_label="Monthly budget",
        details={
            "from": str(before) if before is not None else None,
            "to": str(budget) if budget is not None else None,
        },
    )
    return await _save(session, prefs)


async def known_refs(session: AsyncSession, ctx: TenantContext) -> set[str]:
    """Model refs a chain may name: the catalog's, plus the tenant's endpoints' models."""
    refs = {m.ref for m in catalog.catalog()}
    for provider in (await resolve_all(session, ctx)).values():
        refs.update(f"{provider.name}/{m}" for m in provider.models)
    return refs


async def set_fallback_order(session: AsyncSession, ctx: TenantContext, refs: list[str]) -> TenantLlmSettings:
    """Replace the chain. Each ref is "provider/model"; unknown ones are refused, duplicates dropped."""
    require(ctx, Action.FALLBACK_CHAIN_MANAGE)
    chain = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    if len(chain) > FALLBACK_MAX:
        raise InvalidInput(f"At most {FALLBACK_MAX} fallback models.")
    unknown = [r for r in chain if r not in await known_refs(session, ctx)]
    if unknown:
        raise InvalidInput(f"Unknown model: {unknown[0]}. Pick models from the list.")
    prefs = await get_preferences(session, ctx)
    prefs.fallback_order = chain
    return await _save(session, prefs)
