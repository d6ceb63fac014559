"""Personas of the tenant: list, create, edit, duplicate, delete, and the starter team.

Specializations: a persona saved without any gets the extractor's top 3 (``specialization.py``)
with the keywords that decided them kept beside, so the user sees why and can edit the result.
Specializations the user typed are kept as typed; saving them unchanged keeps their evidence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.models.persona import (
    PERSONA_DESCRIPTION_MAX,
    PERSONA_NAME_MAX,
    PERSONA_PROMPT_MAX,
    PERSONA_ROLE_MAX,
    SPECIALIZATIONS_MAX,
    TAG_MAX,
    TRAITS_MAX,
    Persona,
)
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.personas import portraits
from nyx_app.services.personas.avatar import avatar_data_uri
from nyx_app.services.personas.specialization import specializations
from nyx_app.services.personas.starters import STARTERS
from nyx_app.services.personas.xp import progress
from nyx_app.services.runs import deletions
from nyx_app.services.validation import Problems, TextKind, optional_text, parse_id, required_text


@dataclass
class PersonaInput:
    """What the editor sends. Traits and specializations: lists, or one comma-separated text."""

    name: str
    role: str = ""
    description: str = ""
    system_prompt: str = ""
    traits: Sequence[str] | str = ()
    specializations: Sequence[str] | str = ()


@dataclass(frozen=True, slots=True)
class PersonaView:
    id: str
    name: str
    role: str
    description: str
    system_prompt: str
    traits: list[str]
    specializations: list[str]
    evidence: list[str]  # why the specializations were chosen, when they were chosen automatically
    avatar: str  # the generated portrait (data URI), shown when there is no uploaded one
    portrait_tag: str  # "" without an uploaded portrait; changes with every upload (cache busting)
    level: int
    xp: int
    xp_into_level: int
    uses: int
    successes: int
    success_rate: float | None = field(default=None)
    may_delete: bool = False  # for the user who asked: members delete only the personas they made


def view(p: Persona) -> PersonaView:
    done = progress(p.xp, p.uses, p.successes)
    return PersonaView(
        id=str(p.id),
        name=p.name,
        role=p.role,
        description=p.description,
        system_prompt=p.system_prompt,
        traits=list(p.traits),
        specializations=list(p.specializations),
        evidence=list(p.specialization_evidence),
        avatar=avatar_data_uri(p.name),
        portrait_tag=portraits.tag(p.portrait_key),
        level=done.level,
        xp=p.xp,
        xp_into_level=done.xp_into_level,
        uses=p.uses,
        successes=p.successes,
        success_rate=done.success_rate,
    )


def tags(value: Sequence[str] | str, label: str, most: int) -> list[str]:
    """Comma-separated (or listed) short labels: trimmed, duplicates (any case) dropped."""
    items = value.split(",") if isinstance(value, str) else list(value)
    kept: dict[str, str] = {}
    for raw in items:
        tag = optional_text(str(raw), label, TAG_MAX)
        if tag and tag.casefold() not in kept:
            kept[tag.casefold()] = tag
    if len(kept) > most:
        raise InvalidInput(f"At most {most} {label.lower()} (you gave {len(kept)}).")
    return list(kept.values())


def suggest(description: str, system_prompt: str) -> tuple[list[str], list[str]]:
    """The extractor's categories for these texts, and the keywords that decided each."""
    found = specializations(description, system_prompt)
    return [s.category for s in found], [s.explanation for s in found]


def _apply(persona: Persona, data: PersonaInput) -> None:
    """Every field checked before refusing, each message keyed by its field (the editor shows
    them at their fields)."""
    wrong = Problems()
    name = wrong.check("name", required_text, data.name, "Name", PERSONA_NAME_MAX)
    role = wrong.check("role", optional_text, data.role, "Role", PERSONA_ROLE_MAX)
    description = wrong.check(
        "description", optional_text, data.description, "Description", PERSONA_DESCRIPTION_MAX, kind=TextKind.PROSE
    )
    system_prompt = wrong.check(
        "system_prompt", optional_text, data.system_prompt, "System prompt", PERSONA_PROMPT_MAX, kind=TextKind.PROSE
    )
    traits = wrong.check("traits", tags, data.traits, "Traits", TRAITS_MAX)
    chosen = wrong.check("specializations", tags, data.specializations, "Specializations", SPECIALIZATIONS_MAX)
    wrong.raise_if_any()
    persona.name, persona.role = str(name), str(role)
    persona.description, persona.system_prompt = str(description), str(system_prompt)
    persona.traits = list(traits or [])
    if not chosen:
        persona.specializations, persona.specialization_evidence = suggest(persona.description, persona.system_prompt)
    elif chosen != list(persona.specializations or []):
        persona.specializations, persona.specialization_evidence = chosen, []


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise InvalidFields({"name": f"There is already a persona named {name!r}. Choose another name."}) from None


async def _free_name(session: AsyncSession, wanted: str) -> str:
    taken = set(await session.exec(select(Persona.name)))
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted} ({n})" in taken:
        n += 1
    return f"{wanted} ({n})"[:PERSONA_NAME_MAX]


async def list_personas(session: AsyncSession, ctx: TenantContext) -> list[PersonaView]:
    return [
        replace(view(p), may_delete=ctx.may(Action.PERSONA_DELETE, author_id=p.created_by))
        for p in await session.exec(select(Persona).order_by(col(Persona.name)))
    ]


async def get_persona(session: AsyncSession, ctx: TenantContext, persona_id: str | uuid.UUID) -> Persona:
    persona = await session.get(Persona, parse_id(persona_id, "Persona"))
    if persona is None:
        raise NotFound("Persona not found.")
    return persona


async def create_persona(session: AsyncSession, ctx: TenantContext, data: PersonaInput) -> Persona:
    require(ctx, Action.PERSONA_EDIT)
    persona = Persona(tenant_id=ctx.tenant_id, name="", created_by=ctx.user_id)
    _apply(persona, data)
    session.add(persona)
    await _flush(session, persona.name)
    return persona


async def update_persona(
    session: AsyncSession, ctx: TenantContext, persona_id: str | uuid.UUID, data: PersonaInput
) -> Persona:
    require(ctx, Action.PERSONA_EDIT)
    persona = await get_persona(session, ctx, persona_id)
    _apply(persona, data)
    session.add(persona)
    await _flush(session, persona.name)
    return persona


async def duplicate_persona(session: AsyncSession, ctx: TenantContext, persona_id: str | uuid.UUID) -> Persona:
    """A copy to vary: same texts and portrait, a free name, and no experience of its own yet."""
    require(ctx, Action.PERSONA_EDIT)
    source = await get_persona(session, ctx, persona_id)
    copy = Persona(
        tenant_id=ctx.tenant_id,
        name=await _free_name(session, f"{source.name} (copy)"[:PERSONA_NAME_MAX]),
        role=source.role,
        description=source.description,
        system_prompt=source.system_prompt,
        traits=list(source.traits),
        specializations=list(source.specializations),
        specialization_evidence=list(source.specialization_evidence),
        created_by=ctx.user_id,
    )
    session.add(copy)
    await _flush(session, copy.name)
    await portraits.copy_portrait(session, source, copy)
    return copy


async def delete_persona(session: AsyncSession, ctx: TenantContext, persona_id: str | uuid.UUID) -> None:
    """Discussions keep the persona's name on what it said; workflow steps naming it are refused
    until another persona is chosen, and those of active runs not started yet fail in words. Members
    delete only the personas they made; owners and admins any (the starter personas, which nobody
    made, too)."""
    persona = await get_persona(session, ctx, persona_id)
    require(ctx, Action.PERSONA_DELETE, author_id=persona.created_by)
    await deletions.persona_deleted(session, persona.id)
    keys = [k for k in (persona.portrait_key, persona.portrait_thumb_key) if k]
    await session.delete(persona)
    await session.flush()
    portraits.remove_after_commit(session, keys)


async def create_starters(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """The starter team of a new workspace (the transaction has the tenant set)."""
    for starter in STARTERS:
        persona = Persona(tenant_id=tenant_id, name="")
        _apply(
            persona,
            PersonaInput(starter.name, starter.role, starter.description, starter.system_prompt, starter.traits),
        )
        session.add(persona)
    await session.flush()
