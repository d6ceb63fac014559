"""Writing audit rows, in the caller's transaction (services flush, the edge commits).

An action inside a workspace is one row in that workspace. An action on an account (a sign-in,
a password change, a login ended) concerns every workspace the person belongs to, so its owners
and admins all see it: ``record_for_user`` writes one row per membership, switching the row-level
security context for each insert and putting the caller's back afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import current_context, set_context
from nyx_app.models.audit import LABEL_MAX, AuditEvent
from nyx_app.models.tenancy import Membership, User
from nyx_app.services.audit.actions import AuditAction
from nyx_app.services.audit.origin import current_origin
from nyx_app.services.context import TenantContext


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _actor_label(session: AsyncSession, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    user = await session.get(User, user_id)
    return f"{user.name} <{user.email}>" if user is not None else ""


def _event(
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    actor_label: str,
    action: AuditAction,
    object_type: str,
    object_id: str,
    object_label: str,
    details: dict[str, Any] | None,
) -> AuditEvent:
    origin = current_origin()
    extra = dict(details or {})
    if origin.token_id:
        extra.setdefault("token", {"id": origin.token_id, "name": origin.token_name})
    return AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor_id,
        actor_label=_clip(actor_label, LABEL_MAX),
        action=action.value,
        object_type=object_type[:30],
        object_id=object_id[:64],
        object_label=_clip(object_label, LABEL_MAX),
        address=origin.address[:64],
        device=_clip(origin.device, 200),
        via=origin.via.value,
        details=extra,
    )


async def record(
    session: AsyncSession,
    ctx: TenantContext,
    action: AuditAction,
    *,
    object_type: str = "",
    object_id: str | uuid.UUID = "",
    object_label: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """One row in the acting user's current workspace."""
    event = _event(
        ctx.tenant_id,
        ctx.user_id,
        await _actor_label(session, ctx.user_id),
        action,
        object_type,
        str(object_id),
        object_label,
        details,
    )
    session.add(event)
    await session.flush()
    return event


async def record_for_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    action: AuditAction,
    *,
    actor_id: uuid.UUID | None = None,
    object_label: str = "",
    details: dict[str, Any] | None = None,
) -> int:
    """One row in every workspace of ``user_id`` (the account acted on). ``actor_id``: who acted,
    when it is not that user (None: the user, or nobody signed in for a failed sign-in). Returns
    how many rows were written."""
    tenant_before, user_before = await current_context(session)
    await set_context(session, None, user_id)
    tenants = list(await session.exec(select(Membership.tenant_id).where(col(Membership.user_id) == user_id)))
    actor = user_id if actor_id is None and action is not AuditAction.SIGN_IN_FAILED else actor_id
    account = await _actor_label(session, user_id)
    actor_label = account if actor == user_id else await _actor_label(session, actor)
    try:
        for tenant_id in tenants:
            await set_context(session, tenant_id, user_id)
            session.add(
                _event(tenant_id, actor, actor_label, action, "user", str(user_id), object_label or account, details)
            )
            await session.flush()
    finally:
        await set_context(session, tenant_before, user_before)
    return len(tenants)
