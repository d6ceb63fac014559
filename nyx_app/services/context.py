"""Who is acting, as established from the server-side session (never from an event argument)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nyx_app.models.tenancy import Role
from nyx_app.services.permissions import Action, may


@dataclass(frozen=True, slots=True)
class TenantContext:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    # An API token's scopes (permissions.Scope values); None for a signed-in person, who has all.
    scopes: frozenset[str] | None = None

    def may(self, action: Action, *, author_id: uuid.UUID | None = None) -> bool:
        """For showing or hiding what the role may do; services call ``permissions.require``."""
        return may(self, action, author_id=author_id)

    @property
    def can_manage_members(self) -> bool:
        # Kept for the session state's navigation flag; new code asks ``may(Action.X)``.
        return self.may(Action.MEMBERS_MANAGE)
