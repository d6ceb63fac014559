"""A plan's note: saved when its run succeeds (the engine's finisher) or when the user asks.

Idempotent: the plan message is locked and its ``note_id`` checked first, so a finisher that runs
twice (a retried job), or a click racing it, saves one note.
"""

from __future__ import annotations

import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.models.discussion import Discussion, DiscussionMessage, MessageKind
from nyx_app.models.project import NOTE_CONTENT_MAX, NOTE_TITLE_MAX
from nyx_app.models.run import NO_ITEM, Run, StepRun, StepStatus
from nyx_app.models.tenancy import Role
from nyx_app.services import notes
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import Conflict, NotFound

TRUNCATED = "\n\n[… the plan was longer than a note can hold and was cut here]"


def note_title(discussion_title: str) -> str:
    return f"Implementation plan: {discussion_title}"[:NOTE_TITLE_MAX]


async def save_plan(session: AsyncSession, ctx: TenantContext, message_id: uuid.UUID) -> uuid.UUID:
    """The note of a finished plan message (made now, or the one made before). Returns its id."""
    message = (
        await session.exec(select(DiscussionMessage).where(DiscussionMessage.id == message_id).with_for_update())
    ).first()
    if message is None or message.kind != MessageKind.PLAN.value or message.run_id is None:
        raise NotFound("Plan not found.")
    if message.note_id is not None:
        return message.note_id
    step = (
        await session.exec(
            select(StepRun).where(
                StepRun.run_id == message.run_id, StepRun.key == message.step_key, StepRun.item_index == NO_ITEM
            )
        )
    ).first()
    if step is None or step.status != StepStatus.SUCCEEDED.value or not step.output.strip():
        raise Conflict("The plan is not finished yet.")
    discussion = await session.get(Discussion, message.discussion_id)
    if discussion is None:
        raise NotFound("Discussion not found.")
    text = step.output
    if len(text) > NOTE_CONTENT_MAX:
        text = text[: NOTE_CONTENT_MAX - len(TRUNCATED)] + TRUNCATED
    note = await notes.create_note(session, ctx, discussion.project_id, note_title(discussion.title), text)
    message.note_id = note.id
    session.add(message)
    await session.flush()
    await notify(session, RUNS_CHANNEL, str(discussion.id))  # the discussion page shows the link
    return note.id


async def save_plan_note(session: AsyncSession, run: Run) -> None:
    """Finisher of ``discussion_plan`` runs: the note is written as the person who asked for the plan."""
    message = (
        await session.exec(
            select(DiscussionMessage).where(
                DiscussionMessage.run_id == run.id, DiscussionMessage.kind == MessageKind.PLAN.value
            )
        )
    ).first()
    author = run.started_by or (message.created_by if message else None)
    if message is None or author is None:
        return
    await save_plan(session, TenantContext(run.tenant_id, author, Role.MEMBER), message.id)
