"""Transactions. One per event or job; services flush, this edge commits or rolls back.

The tenant (and user) are set with ``set_config(..., true)``: local to the transaction, so a
pooled connection never carries a tenant into the next request.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.engine import app_engine

_SET_CONTEXT = text("SELECT set_config('app.tenant_id', :tenant_id, true), set_config('app.user_id', :user_id, true)")


@asynccontextmanager
async def transaction(
    tenant_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
) -> AsyncIterator[AsyncSession]:
    """Open a transaction as the app role, scoped to a tenant (and/or user) for RLS.

    With no tenant, tenant tables show no rows at all (the policies compare against NULL).
    """
    async with AsyncSession(app_engine(), expire_on_commit=False) as session, session.begin():
        await session.execute(_SET_CONTEXT, {"tenant_id": str(tenant_id or ""), "user_id": str(user_id or "")})
        yield session
