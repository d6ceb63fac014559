"""Personas: AI experts of a tenant, with a portrait, traits, specializations and experience.

``xp``, ``uses`` and ``successes`` are only ever changed by one atomic ``UPDATE … SET xp = xp + 10``
(services/personas/usage.py), so two runs finishing at the same moment both count.
"""

from __future__ import annotations

import uuid

from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin, empty_list

PERSONA_NAME_MAX = 80
PERSONA_ROLE_MAX = 120
PERSONA_DESCRIPTION_MAX = 4_000
PERSONA_PROMPT_MAX = 20_000
TAG_MAX = 40
TRAITS_MAX = 8
SPECIALIZATIONS_MAX = 6


class Persona(IdMixin, TenantMixin, TimestampMixin, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_persona_tenant_id_id"),
        UniqueConstraint("tenant_id", "name", name="uq_persona_tenant_name"),
    )

    name: str = Field(max_length=PERSONA_NAME_MAX)
    role: str = Field(default="", max_length=PERSONA_ROLE_MAX)
    description: str = Field(default="", max_length=PERSONA_DESCRIPTION_MAX)
    system_prompt: str = Field(default="")
    traits: list[str] = Field(default_factory=empty_list, sa_type=JSONB)
    specializations: list[str] = Field(default_factory=empty_list, sa_type=JSONB)
    # When the specializations were filled in automatically: which keywords decided, one line per
    # category ("Security: xss, csrf (2)"). Empty when the user chose them.
    specialization_evidence: list[str] = Field(default_factory=empty_list, sa_type=JSONB)
    # Generated storage keys (integrations/storage.py), "" without an uploaded portrait.
    portrait_key: str = Field(default="", max_length=400)
    portrait_thumb_key: str = Field(default="", max_length=400)
    xp: int = 0
    uses: int = 0
    successes: int = 0
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
