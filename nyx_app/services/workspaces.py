"""Workspaces (tenants): create another one, rename it, delete it.

Creating is open to every signed-in user and makes them the new workspace's owner; the login
moves there at once. Renaming and deleting are for owners (``Action.WORKSPACE_RENAME`` /
``WORKSPACE_DELETE``); deleting needs the workspace's name typed exactly, removes every row of
the tenant by cascade and its stored images once the delete has committed. Logins working in a
deleted workspace move to another workspace of their user on their next event.
"""

from __future__ import annotations

import uuid

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import set_context, transaction
from nyx_app.models.note_image import NoteImage
from nyx_app.models.tenancy import NAME_MAX, Membership, Role, Tenant
from nyx_app.services import auth
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import AuthError, InvalidFields, InvalidInput, NotFound
from nyx_app.services.members import ONLY_WORKSPACE, workspace_count
from nyx_app.services.note_images import remove_objects_after_commit
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import Problems, required_text

NAME_MISMATCH = "Type the workspace's name exactly as shown to confirm."


def _checked_name(name: str) -> str:
    problems = Problems()
    checked = problems.check("name", required_text, name, "Workspace name", NAME_MAX)
    problems.raise_if_any()
    assert checked is not None
    return checked


async def create_workspace(token: str, name: str) -> uuid.UUID:
    """A new workspace owned by the signed-in user, who now works in it."""
    checked = _checked_name(name)
    async with transaction() as session:
        login = await auth.active_session(session, token)
        if login is None:
            raise AuthError(auth.SESSION_ENDED)
        tenant = Tenant(name=checked)
        session.add(tenant)
        await session.flush()
        await set_context(session, tenant.id, login.user_id)
        session.add(Membership(tenant_id=tenant.id, user_id=login.user_id, role=Role.OWNER.value))
        login.tenant_id = tenant.id
        session.add(login)
        await session.flush()
        return tenant.id


async def _tenant(session: AsyncSession, ctx: TenantContext) -> Tenant:
    tenant = await session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound("Workspace not found.")
    return tenant


async def rename_workspace(session: AsyncSession, ctx: TenantContext, name: str) -> Tenant:
    require(ctx, Action.WORKSPACE_RENAME)
    tenant = await _tenant(session, ctx)
    tenant.name = _checked_name(name)
    session.add(tenant)
    await session.flush()
    return tenant


async def delete_workspace(session: AsyncSession, ctx: TenantContext, typed_name: str) -> str:
    """Delete the current workspace and everything in it. Returns its name."""
    require(ctx, Action.WORKSPACE_DELETE)
    tenant = await _tenant(session, ctx)
    if (typed_name or "").strip() != tenant.name:
        raise InvalidFields({"confirm": NAME_MISMATCH})
    if await workspace_count(session, ctx) < 2:
        raise InvalidInput(ONLY_WORKSPACE)
    keys = [k for pair in await session.exec(select(NoteImage.image_key, NoteImage.thumb_key)) for k in pair]
    name = tenant.name
    # Tenant rows go by their foreign keys' ON DELETE CASCADE (referential actions are not subject
    # to row-level security); logins working here get tenant_id NULL and move on at next resolve.
    await session.exec(delete(Tenant).where(col(Tenant.id) == tenant.id))
    await session.flush()
    remove_objects_after_commit(session, keys)
    return name
