"""Starting a discussion and everything it does next: a follow-up round, the best approach, an
implementation plan; stopping and retrying. Each start is a run (``prompts`` writes its
definition), checked like a workflow (reachable model, existing personas) and guarded to one
active run per discussion; its messages are written in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.models.discussion import QUESTION_MAX, Discussion, DiscussionMessage, MessageKind
from nyx_app.models.persona import Persona
from nyx_app.models.run import ACTIVE_RUN_STATUSES, NO_ITEM, RUN_TITLE_MAX, Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.services.context import TenantContext
from nyx_app.services.discussions import prompts
from nyx_app.services.discussions.prompts import Speaker, Turn
from nyx_app.services.discussions.store import get_discussion, question_title, runs_of
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.llm import choice
from nyx_app.services.permissions import Action, require
from nyx_app.services.personas import usage as persona_usage
from nyx_app.services.projects import get_project
from nyx_app.services.runs import control
from nyx_app.services.runs.guard import check_can_start
from nyx_app.services.validation import TextKind, optional_text, parse_id, required_text
from nyx_app.services.workflows.store import reachable_models
from nyx_app.services.workflows.validate import DefinitionInvalid, check

SPEAKERS_MIN = 2
SPEAKERS_MAX = 5


async def _speakers(session: AsyncSession, ids: Sequence[str]) -> list[Speaker]:
    wanted = [parse_id(i, "Persona") for i in ids]
    rows = {p.id: p for p in await session.exec(select(Persona).where(col(Persona.id).in_(wanted)))}
    return [Speaker(str(p.id), p.name, p.role) for i in wanted if (p := rows.get(i)) is not None]


async def transcript_turns(session: AsyncSession, discussion_id: uuid.UUID) -> list[Turn]:
    """The finished messages, in order: questions, and answers whose step succeeded."""
    rows = await session.exec(
        select(DiscussionMessage, StepRun.output, StepRun.status)
        .outerjoin(
            StepRun,
            (col(StepRun.run_id) == col(DiscussionMessage.run_id))
            & (col(StepRun.key) == col(DiscussionMessage.step_key))
            & (col(StepRun.item_index) == NO_ITEM),
        )
        .where(DiscussionMessage.discussion_id == discussion_id)
        .order_by(col(DiscussionMessage.seq))
    )
    turns: list[Turn] = []
    for message, output, status in rows:
        kind = MessageKind(message.kind)
        speaker = f"{message.persona_name} ({message.persona_role})" if message.persona_role else message.persona_name
        if kind == MessageKind.QUESTION:
            turns.append(Turn(kind, message.round, message.content))
        elif status == StepStatus.SUCCEEDED.value and output:
            turns.append(Turn(kind, message.round, output, speaker))
    return turns


def _problems_in_words(invalid: DefinitionInvalid) -> str:
    return " ".join(dict.fromkeys(p.message for p in invalid.problems))


async def _start(
    session: AsyncSession,
    ctx: TenantContext,
    discussion: Discussion,
    kind: RunKind,
    title: str,
    definition: dict[str, Any],
    messages: list[dict[str, Any]],
) -> Run:
    """Check, create the run, and write the new messages (their fields; numbered after the
    discussion's last one). Messages with a ``step_key`` belong to the new run."""
    try:
        checked = check(definition, await reachable_models(session, ctx), await persona_usage.persona_ids(session))
    except DefinitionInvalid as invalid:
        raise InvalidInput(_problems_in_words(invalid)) from None
    await check_can_start(session, kind, discussion.project_id, None, discussion_id=discussion.id)
    run = await control.create_run(
        session,
        ctx,
        project_id=discussion.project_id,
        kind=kind,
        title=f"{discussion.title} · {title}"[:RUN_TITLE_MAX],
        definition=checked,
        inputs={"discussion_id": str(discussion.id)},
    )
    last = (
        await session.exec(
            select(func.coalesce(func.max(DiscussionMessage.seq), 0)).where(
                DiscussionMessage.discussion_id == discussion.id
            )
        )
    ).one()
    session.add_all(
        DiscussionMessage(
            tenant_id=ctx.tenant_id,
            discussion_id=discussion.id,
            seq=last + offset,
            run_id=run.id if fields.get("step_key") else None,
            created_by=ctx.user_id,
            **fields,
        )
        for offset, fields in enumerate(messages, start=1)
    )
    discussion.updated_at = utcnow()
    session.add(discussion)
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(discussion.id))
    return run


async def _round(
    session: AsyncSession, ctx: TenantContext, discussion: Discussion, round_no: int, question: str
) -> Run:
    speakers = await _speakers(session, discussion.persona_ids)
    if not speakers:
        raise InvalidInput("The personas of this discussion were all deleted. Start a new discussion.")
    earlier = prompts.transcript(await transcript_turns(session, discussion.id))
    definition = prompts.round_definition(
        round_no=round_no, question=question, earlier=earlier, speakers=speakers, model=discussion.model
    )
    messages: list[dict[str, Any]] = [{"kind": MessageKind.QUESTION.value, "round": round_no, "content": question}]
    messages += [
        {
            "kind": MessageKind.ANSWER.value,
            "round": round_no,
            "step_key": prompts.turn_key(i),
            "persona_id": uuid.UUID(s.persona_id),
            "persona_name": s.name,
            "persona_role": s.role,
        }
        for i, s in enumerate(speakers)
    ]
    return await _start(session, ctx, discussion, RunKind.DISCUSSION, f"round {round_no}", definition, messages)


def _question(text: str) -> str:
    return required_text(text, "The question", QUESTION_MAX, kind=TextKind.PROSE)


async def create_discussion(
    session: AsyncSession,
    ctx: TenantContext,
    project_id: str | uuid.UUID,
    *,
    question: str,
    persona_ids: Sequence[str],
    model: str = "",
    title: str = "",
) -> Discussion:
    """A new discussion whose first round starts at once."""
    require(ctx, Action.RUN_START)
    project = await get_project(session, ctx, project_id)
    question = _question(question)
    chosen = list(dict.fromkeys(persona_ids))
    if not SPEAKERS_MIN <= len(chosen) <= SPEAKERS_MAX:
        raise InvalidInput(f"Pick between {SPEAKERS_MIN} and {SPEAKERS_MAX} personas for a discussion.")
    speakers = await _speakers(session, chosen)
    if len(speakers) != len(chosen):
        raise NotFound("Persona not found.")
    discussion = Discussion(
        tenant_id=ctx.tenant_id,
        project_id=project.id,
        title=optional_text(title, "Title", 200) or question_title(question),
        model=(model or (await choice.project_model(session, project)).ref).strip(),
        persona_ids=[s.persona_id for s in speakers],
        created_by=ctx.user_id,
    )
    session.add(discussion)
    await session.flush()
    await _round(session, ctx, discussion, 1, question)
    return discussion


async def _messages(session: AsyncSession, discussion_id: uuid.UUID) -> list[DiscussionMessage]:
    return list(
        await session.exec(
            select(DiscussionMessage)
            .where(DiscussionMessage.discussion_id == discussion_id)
            .order_by(col(DiscussionMessage.seq))
        )
    )


async def follow_up(session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID, question: str) -> Run:
    """Another round: every persona answers the follow-up, seeing the whole discussion so far."""
    require(ctx, Action.RUN_START)
    discussion = await get_discussion(session, ctx, discussion_id, lock=True)
    question = _question(question)
    last_round = max((m.round for m in await _messages(session, discussion.id)), default=0)
    return await _round(session, ctx, discussion, last_round + 1, question)


async def best_approach(session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID) -> Run:
    """A synthesis of the discussion so far: agreements, disagreements, the recommended approach."""
    require(ctx, Action.RUN_START)
    discussion = await get_discussion(session, ctx, discussion_id, lock=True)
    turns = await transcript_turns(session, discussion.id)
    if not any(t.kind == MessageKind.ANSWER for t in turns):
        raise InvalidInput("There is no answer to sum up yet. Wait for the personas to answer.")
    definition = prompts.synthesis_definition(discussion=prompts.transcript(turns), model=discussion.model)
    message = {"kind": MessageKind.SYNTHESIS.value, "round": turns[-1].round, "step_key": prompts.SYNTHESIS_KEY}
    return await _start(session, ctx, discussion, RunKind.DISCUSSION_SYNTHESIS, "best approach", definition, [message])


async def implement(session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID) -> Run:
    """An implementation plan from the latest best approach, saved as a project note when done."""
    require(ctx, Action.RUN_START)
    discussion = await get_discussion(session, ctx, discussion_id, lock=True)
    turns = await transcript_turns(session, discussion.id)
    synthesis = next((t for t in reversed(turns) if t.kind == MessageKind.SYNTHESIS), None)
    if synthesis is None:
        raise InvalidInput("Ask for the best approach first; the plan is made from it.")
    definition = prompts.plan_definition(
        discussion=prompts.transcript([t for t in turns if t is not synthesis]),
        synthesis=synthesis.text,
        model=discussion.model,
    )
    message = {"kind": MessageKind.PLAN.value, "round": synthesis.round, "step_key": prompts.PLAN_KEY}
    return await _start(session, ctx, discussion, RunKind.DISCUSSION_PLAN, "implementation plan", definition, [message])


async def latest_run(session: AsyncSession, discussion_id: uuid.UUID) -> Run | None:
    return (
        await session.exec(
            select(Run).where(col(Run.id).in_(runs_of(discussion_id))).order_by(col(Run.created_at).desc()).limit(1)
        )
    ).first()


async def stop(session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID) -> Run:
    """Stop what the discussion is doing now (answers given so far stay)."""
    discussion = await get_discussion(session, ctx, discussion_id)
    run = await latest_run(session, discussion.id)
    if run is None or RunStatus(run.status) not in ACTIVE_RUN_STATUSES:
        raise Conflict("Nothing is running in this discussion.")
    return await control.cancel_run(session, ctx, run.id)


async def retry(session: AsyncSession, ctx: TenantContext, discussion_id: str | uuid.UUID) -> Run:
    """Go on with the last run where it failed or was stopped: answers already given are kept."""
    discussion = await get_discussion(session, ctx, discussion_id)
    run = await latest_run(session, discussion.id)
    if run is None or run.status not in (RunStatus.FAILED.value, RunStatus.CANCELLED.value):
        raise Conflict("Nothing to retry: the last step of this discussion did not fail.")
    resumed = await control.resume_run(session, ctx, run.id)
    await notify(session, RUNS_CHANNEL, str(discussion.id))
    return resumed
