"""Who is acting, as established from the server-side session (never from an event argument)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nyx_app.models.tenancy import Role


@dataclass(frozen=True, slots=True)
class TenantContext:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: Role

    @property
    def can_manage_members(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)
