"""Everything the Providers page shows, read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.llm import ProviderPublic
from nyx_app.services.context import TenantContext
from nyx_app.services.llm.credentials import list_providers
from nyx_app.services.llm.preferences import get_preferences
from nyx_app.services.llm.spend import SpendRow, month_spend, spend_by_day, spend_by_provider


@dataclass(frozen=True, slots=True)
class LlmOverview:
    providers: list[ProviderPublic]
    fallback_order: list[str]
    monthly_budget_usd: Decimal | None
    month_spent_usd: Decimal
    by_provider: list[SpendRow]
    by_day: list[SpendRow]


async def overview(session: AsyncSession, ctx: TenantContext) -> LlmOverview:
    prefs = await get_preferences(session, ctx)
    return LlmOverview(
        providers=await list_providers(session, ctx),
        fallback_order=list(prefs.fallback_order),
        monthly_budget_usd=prefs.monthly_budget_usd,
        month_spent_usd=await month_spend(session, ctx),
        by_provider=await spend_by_provider(session, ctx),
        by_day=await spend_by_day(session, ctx),
    )
