"""Personas at work: what a run needs of them, and counting their uses.

A use is one LLM call made as the persona: a discussion turn, a workflow step (each item of a
fan-out step is a call of its own). It is counted by one ``UPDATE … SET xp = xp + 10`` in the
transaction that records the step's end, so two runs finishing at the same moment both count and
a resumed run, which skips its finished steps, counts nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.pipeline import Bound, Compiled
from nyx_app.models.persona import Persona
from nyx_app.services.personas.xp import XP_PER_USE


@dataclass(frozen=True, slots=True)
class RunPersona:
    id: str
    name: str
    role: str
    description: str
    system_prompt: str

    @property
    def lead(self) -> str:
        """What leads a step's system prompt: the persona's own, or one made from its description."""
        if self.system_prompt.strip():
            return self.system_prompt.strip()
        who = f"You are {self.name}" + (f", {self.role}" if self.role else "") + "."
        return f"{who}\n{self.description.strip()}".strip()


# Atomic: the row's own values are incremented in SQL, never read and written back. A persona
# deleted meanwhile matches no row, and nothing happens. Built once, so the run engine can also
# send it with a step's end in one round trip (use_at_once).
_USE = (
    update(Persona)
    .where(col(Persona.id) == bindparam("persona_id"))
    .values(
        xp=Persona.xp + XP_PER_USE,
        uses=Persona.uses + 1,
        successes=Persona.successes + bindparam("success", type_=Integer),
        updated_at=func.now(),
    )
    .execution_options(synchronize_session=False)
)
_USE_AT_ONCE = Compiled(_USE)


def _use_values(persona_id: uuid.UUID, succeeded: bool) -> dict[str, object]:
    return {"persona_id": persona_id, "success": int(succeeded)}


async def record_use(session: AsyncSession, persona_id: uuid.UUID, *, succeeded: bool) -> None:
    await session.execute(_USE, _use_values(persona_id, succeeded))


def use_at_once(persona_id: uuid.UUID, *, succeeded: bool) -> Bound:
    """``record_use`` as a statement for ``db.pipeline.write_at_once``."""
    return _USE_AT_ONCE.bind(_use_values(persona_id, succeeded))


async def for_run(session: AsyncSession, persona_ids: Iterable[str]) -> dict[str, RunPersona]:
    """The personas a run's steps name, read once when the run (re)starts; missing ones are absent."""
    ids = []
    for raw in set(persona_ids):
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = await session.exec(select(Persona).where(col(Persona.id).in_(ids)))
    return {str(p.id): RunPersona(str(p.id), p.name, p.role, p.description, p.system_prompt) for p in rows}


async def persona_ids(session: AsyncSession) -> set[str]:
    """Every persona id of the tenant (validation: a step may only name one of these)."""
    return {str(i) for i in await session.exec(select(Persona.id))}
