"""Row-level security on the LLM tables, through the RLS-bound app role."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from nyx_app.db.session import transaction
from nyx_app.models.llm import LlmCall, ProviderCredential, TenantLlmSettings
from tests.factories import TenantFactory

TABLES = ("provider_credential", "llm_call", "tenant_llm_settings")


def _rows(tenant_id: uuid.UUID) -> list[object]:
    return [
        ProviderCredential(tenant_id=tenant_id, provider="openai", name="openai", key_ciphertext="x"),
        LlmCall(tenant_id=tenant_id, call_id=uuid.uuid4(), attempt_no=1, provider="openai", model="m", status="ok"),
        TenantLlmSettings(tenant_id=tenant_id, monthly_budget_usd=Decimal("5")),
    ]


async def test_tenant_b_cannot_see_or_change_tenant_a_rows(tenants: TenantFactory) -> None:
    a, b = (await tenants.create()).ctx, (await tenants.create()).ctx
    async with transaction(tenant_id=a.tenant_id) as session:
        session.add_all(_rows(a.tenant_id))

    async with transaction(tenant_id=b.tenant_id) as session:
        for table in TABLES:
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0
            updated = await session.execute(text(f"UPDATE {table} SET tenant_id = :b"), {"b": str(b.tenant_id)})
            assert updated.rowcount == 0  # type: ignore[attr-defined]
            deleted = await session.execute(text(f"DELETE FROM {table}"))
            assert deleted.rowcount == 0  # type: ignore[attr-defined]

    async with transaction(tenant_id=a.tenant_id) as session:
        for table in TABLES:
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 1


@pytest.mark.parametrize("index", range(len(TABLES)))
async def test_tenant_b_cannot_insert_rows_for_tenant_a(tenants: TenantFactory, index: int) -> None:
    a, b = (await tenants.create()).ctx, (await tenants.create()).ctx
    with pytest.raises(DBAPIError, match="row-level security"):
        async with transaction(tenant_id=b.tenant_id) as session:
            session.add(_rows(a.tenant_id)[index])
            await session.flush()


async def test_no_tenant_sees_nothing(tenants: TenantFactory) -> None:
    a = (await tenants.create()).ctx
    async with transaction(tenant_id=a.tenant_id) as session:
        session.add_all(_rows(a.tenant_id))
    async with transaction() as session:
        for table in TABLES:
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0
