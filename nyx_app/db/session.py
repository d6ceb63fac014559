"""Transactions. One per event or job; services flush, this edge commits or rolls back.

The tenant (and user) are set with ``set_config(..., true)``: local to the transaction, so a
pooled connection never carries a tenant into the next request.

Work outside the database that must follow the transaction's fate (removing stored files after a
delete commits; removing just-stored files when an insert is rolled back) registers itself with
``after_commit`` / ``after_rollback``: the services that cause it only flush and cannot know
whether the commit will succeed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.engine import app_engine, search_engine

log = logging.getLogger(__name__)

SET_CONTEXT = text("SELECT set_config('app.tenant_id', :tenant_id, true), set_config('app.user_id', :user_id, true)")
_SET_PUBLIC = text("SELECT set_config('app.public_project_id', :project_id, true)")
_AFTER_COMMIT = "nyx_after_commit"
_AFTER_ROLLBACK = "nyx_after_rollback"

Action = Callable[[], Awaitable[None]]


async def set_context(
    session: AsyncSession, tenant_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
) -> None:
    """Set (or change) the tenant and user that RLS sees for the rest of this transaction.

    The only place that writes this SQL: services that learn the tenant or user only inside a
    transaction (login, registration) call this instead of writing ``set_config`` themselves.
    """
    await session.execute(SET_CONTEXT, {"tenant_id": str(tenant_id or ""), "user_id": str(user_id or "")})


_GET_CONTEXT = text("SELECT current_setting('app.tenant_id', true), current_setting('app.user_id', true)")


async def current_context(session: AsyncSession) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The tenant and user RLS sees now (to put them back after acting in other tenants)."""
    tenant, user = (await session.execute(_GET_CONTEXT)).one()
    return (uuid.UUID(tenant) if tenant else None, uuid.UUID(user) if user else None)


def after_commit(session: AsyncSession, action: Action) -> None:
    """Run ``action`` once the transaction opened by ``transaction()`` has committed."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def after_rollback(session: AsyncSession, action: Action) -> None:
    """Run ``action`` if the transaction opened by ``transaction()`` fails (commit included)."""
    session.info.setdefault(_AFTER_ROLLBACK, []).append(action)


async def _run_actions(session: AsyncSession, which: str) -> None:
    for action in session.info.pop(which, []):
        try:
            await action()
        except Exception:
            # The transaction's outcome is settled; a failed clean-up is logged, not raised over it.
            log.exception("%s action failed", which)


@asynccontextmanager
async def transaction(
    tenant_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
) -> AsyncIterator[AsyncSession]:
    """Open a transaction as the app role, scoped to a tenant (and/or user) for RLS.

    With no tenant, tenant tables show no rows at all (the policies compare against NULL).
    """
    async with AsyncSession(app_engine(), expire_on_commit=False) as session:
        try:
            async with session.begin():
                await set_context(session, tenant_id, user_id)
                yield session
        except BaseException:
            session.info.pop(_AFTER_COMMIT, None)
            await _run_actions(session, _AFTER_ROLLBACK)
            raise
        session.info.pop(_AFTER_ROLLBACK, None)
        await _run_actions(session, _AFTER_COMMIT)


@asynccontextmanager
async def public_transaction(project_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
    """A read-only transaction for a visitor without a login: no tenant, no user, only
    ``app.public_project_id``. The ``public_read`` policies (db/rls.py) then show exactly that
    project if it is published, its notes marked public and their images; every other row of
    every tenant table stays invisible, and nothing can be written."""
    async with AsyncSession(app_engine(), expire_on_commit=False) as session, session.begin():
        await session.execute(text("SET TRANSACTION READ ONLY"))
        await session.execute(_SET_PUBLIC, {"project_id": str(project_id)})
        yield session


# Vector search under RLS (RECIPES.md): the policy filters rows after the HNSW scan, so a tenant
# with 5 % of the rows got recall 0.18-0.87 and short result lists without iterative scans;
# ``relaxed_order`` keeps scanning until enough rows pass (the caller re-sorts by distance).
# ef_search stays at 100: above it the planner abandons the index for a sequential scan.
_SET_SEARCH = text(
    "SELECT set_config('app.tenant_id', :tenant_id, true), set_config('app.user_id', :user_id, true), "
    "set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', :ef_search, true)"
)
EF_SEARCH = 100


@asynccontextmanager
async def search_transaction(tenant_id: uuid.UUID, user_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
    """A read-only transaction for vector and hybrid search: the search engine's connections (no
    server-side prepared plans), tenant context and HNSW settings set in one round trip."""
    async with AsyncSession(search_engine(), expire_on_commit=False) as session, session.begin():
        await session.execute(
            _SET_SEARCH, {"tenant_id": str(tenant_id), "user_id": str(user_id or ""), "ef_search": str(EF_SEARCH)}
        )
        yield session
