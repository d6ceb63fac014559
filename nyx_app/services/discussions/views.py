"""What the discussion page shows, read in one transaction (and again on every change while a
run answers). A discussion is small (a few rounds of 2-5 answers), so answers are read whole."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.integrations.llm import ErrorKind
from nyx_app.models.discussion import DiscussionMessage, MessageKind
from nyx_app.models.persona import Persona
from nyx_app.models.project import Project
from nyx_app.models.run import ACTIVE_RUN_STATUSES, NO_ITEM, Run, RunStatus, StepRun
from nyx_app.services.context import TenantContext
from nyx_app.services.discussions.store import get_discussion
from nyx_app.services.llm.errors import KIND_LABELS
from nyx_app.services.personas import portraits
from nyx_app.services.personas.avatar import avatar_data_uri


@lru_cache(maxsize=256)
def avatar(name: str) -> str:
    return avatar_data_uri(name)


@dataclass(frozen=True, slots=True)
class SpeakerView:
    persona_id: str
    name: str
    role: str
    avatar: str
    portrait_tag: str


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    kind: str
    round: int
    text: str
    status: str  # the step's status; "" for a question
    speaker: SpeakerView | None = None
    model: str = ""
    tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    error: str = ""
    # Providers that failed before another answered, in words ("anthropic/claude-sonnet-4-6:
    # out of credit"); and which model answered in the end.
    failed_attempts: list[str] = field(default_factory=list)
    note_id: str = ""


@dataclass
class DiscussionView:
    id: str
    project_id: str
    project_name: str
    title: str
    model: str
    speakers: list[SpeakerView]
    messages: list[MessageView]
    answering: bool
    active_run_id: str
    can_retry: bool  # the last run failed or was stopped
    has_answers: bool
    has_synthesis: bool
    tokens: int
    cost_usd: Decimal


def failed_attempts(attempts: list[dict[str, Any]]) -> list[str]:
    lines = []
    for a in attempts or []:
        if a.get("status") == "ok":
            continue
        kind = a.get("error_kind") or ""
        problem = KIND_LABELS.get(ErrorKind(kind), kind) if kind in ErrorKind._value2member_map_ else kind
        lines.append(f"{a.get('provider', '')}/{a.get('model', '')}: {problem or a.get('status', 'failed')}")
    return lines


def _speaker(message: DiscussionMessage, personas: dict[uuid.UUID, Persona]) -> SpeakerView | None:
    if message.kind != MessageKind.ANSWER.value:
        return None
    current = personas.get(message.persona_id) if message.persona_id else None
    return SpeakerView(
        str(message.persona_id or ""),
        message.persona_name,
        message.persona_role,
        avatar(message.persona_name),
        portraits.tag(current.portrait_key) if current else "",
    )


async def discussion_view(session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID) -> DiscussionView:
    discussion = await get_discussion(session, ctx, discussion_id)
    project = await session.get(Project, discussion.project_id)
    rows = list(
        await session.exec(
            select(DiscussionMessage, StepRun)
            .outerjoin(
                StepRun,
                (col(StepRun.run_id) == col(DiscussionMessage.run_id))
                & (col(StepRun.key) == col(DiscussionMessage.step_key))
                & (col(StepRun.item_index) == NO_ITEM),
            )
            .where(DiscussionMessage.discussion_id == discussion.id)
            .order_by(col(DiscussionMessage.seq))
        )
    )
    wanted = {uuid.UUID(i) for i in discussion.persona_ids} | {m.persona_id for m, _ in rows if m.persona_id}
    personas = {p.id: p for p in await session.exec(select(Persona).where(col(Persona.id).in_(wanted)))}
    run_ids = {m.run_id for m, _ in rows if m.run_id}
    runs = list(await session.exec(select(Run).where(col(Run.id).in_(run_ids)).order_by(col(Run.created_at))))
    messages: list[MessageView] = []
    for m, step in rows:
        if step is None:
            messages.append(MessageView(str(m.id), m.kind, m.round, m.content, ""))
            continue
        messages.append(
            MessageView(
                id=str(m.id),
                kind=m.kind,
                round=m.round,
                text=step.output,
                status=step.status,
                speaker=_speaker(m, personas),
                model=step.model,
                tokens=step.tokens_in + step.tokens_out,
                cost_usd=step.cost_usd,
                error=step.error,
                failed_attempts=failed_attempts(step.attempts),
                note_id=str(m.note_id or ""),
            )
        )
    active = next((r for r in runs if RunStatus(r.status) in ACTIVE_RUN_STATUSES), None)
    last = runs[-1] if runs else None
    speakers = [
        SpeakerView(str(p.id), p.name, p.role, avatar(p.name), portraits.tag(p.portrait_key))
        for i in discussion.persona_ids
        if (p := personas.get(uuid.UUID(i))) is not None
    ]
    done = [m for m in messages if m.status == "succeeded"]
    return DiscussionView(
        id=str(discussion.id),
        project_id=str(discussion.project_id),
        project_name=project.name if project else "",
        title=discussion.title,
        model=discussion.model,
        speakers=speakers,
        messages=messages,
        answering=active is not None,
        active_run_id=str(active.id) if active else "",
        can_retry=last is not None and last.status in (RunStatus.FAILED.value, RunStatus.CANCELLED.value),
        has_answers=any(m.kind == MessageKind.ANSWER.value for m in done),
        has_synthesis=any(m.kind == MessageKind.SYNTHESIS.value for m in done),
        tokens=sum(m.tokens for m in messages),
        cost_usd=sum((m.cost_usd for m in messages), Decimal(0)),
    )
