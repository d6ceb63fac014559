"""AI descriptions of note images: an image saved without a description gets one from a
vision-capable model, in the background.

- **A job per batch**: saving images queues the tenant's describe job (``DESCRIBE_TASK``; one runs
  per tenant at a time and at most one waits, so a drop saved file by file is one job). A job
  takes a batch of ``BATCH`` images without a description, newest first, and queues itself again
  when more are left. It calls the model through the one LLM call path (``llm.call.complete``:
  the tenant's fallback chain, its monthly budget, every attempt recorded), one image at a time,
  as the person whose upload queued it.
- **A person's text always wins.** ``description_source`` says who wrote a description. The job
  writes with a compare-and-set (``description = '' AND description_source = ''``), so a
  description typed while the model was looking — a job that started before the user typed —
  is kept, and so is one the user started: focusing the description box claims it
  (``note_images.claim_description``) before the first key.
- **Live**: a written description is announced on the note's key (``NOTIFY nyx_runs, <note id>``);
  the note page watching it re-reads its images.
- **No vision model**: the job makes no call and writes nothing per image; the note page says
  once "no vision model set up" (``NO_VISION``).
- Failed calls count on the image (``description_attempts``); after ``MAX_ATTEMPTS`` the job leaves
  it for a person. The budget refusing a call stops the batch (the next call would be refused too).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.notify import RUNS_CHANNEL, notify
from nyx_app.db.queue import defer_job
from nyx_app.db.session import transaction
from nyx_app.integrations.storage import StorageError, get_storage
from nyx_app.models.note_image import IMAGE_DESCRIPTION_MAX, DescriptionSource, NoteImage
from nyx_app.models.project import Project, ProjectNote
from nyx_app.models.tenancy import Role
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import ServiceError
from nyx_app.services.llm import catalog
from nyx_app.services.llm.call import ImageInput, LlmRequest, complete
from nyx_app.services.llm.credentials import resolve_all
from nyx_app.services.llm.errors import BudgetExceeded
from nyx_app.services.llm.preferences import budget_and_chain

log = logging.getLogger(__name__)

DESCRIBE_TASK = "nyx.images.describe"
DESCRIBE_QUEUE = "images"
MAX_ATTEMPTS = 3
BATCH = 8
LOCK_PREFIX = "describe:"
MAX_TOKENS = 400
NO_VISION = (
    "No vision model set up: images are not described automatically. Add a provider with a model that "
    "can see images (Settings → Providers), or describe them yourself."
)
PROMPT = (
    "Describe this screenshot for a developer who cannot see it: what screen or component it shows, its "
    "visible text and controls, and anything that looks broken. Plain text, at most 120 words."
)
_WRITE = text(
    "UPDATE note_image SET description = :d, description_source = 'ai', updated_at = now() "
    "WHERE id = :id AND description = '' AND description_source = ''"
)


async def queue_job(session: AsyncSession, ctx: TenantContext) -> None:
    """Queue the tenant's describe job in the caller's transaction (a no-op when one waits)."""
    lock = f"{LOCK_PREFIX}{ctx.tenant_id}"
    args = {"tenant_id": str(ctx.tenant_id), "user_id": str(ctx.user_id)}
    await defer_job(session, DESCRIBE_TASK, args, queue=DESCRIBE_QUEUE, lock=lock, queueing_lock=lock)


def _vision(ref: str, endpoint_models: dict[str, tuple[str, ...]]) -> bool:
    name, model_id = catalog.split_ref(ref)
    if name in endpoint_models:
        return model_id in endpoint_models[name] and catalog.endpoint_models(name, [model_id])[0].vision
    info = catalog.find(ref)
    return info is not None and info.vision


async def vision_model(session: AsyncSession, ctx: TenantContext, preferred: str = "") -> str | None:
    """The model that describes images: ``preferred`` (the project's) if it can see, else the
    first seeing model of the fallback chain, else a fast (then any) seeing model of a provider
    the tenant has set up. None: the tenant has no vision model."""
    providers = await resolve_all(session, ctx)
    _, chain = await budget_and_chain(session, ctx)
    endpoints = {p.name: p.models for p in providers.values() if p.kind == catalog.OPENAI_COMPATIBLE}
    built_in = [m for m in catalog.catalog() if m.provider in providers and m.provider not in endpoints]
    offered = [m.ref for m in sorted(built_in, key=lambda m: not m.fast)]
    offered += [f"{name}/{model}" for name, models in endpoints.items() for model in models]
    for ref in dict.fromkeys([preferred, *chain, *offered]):
        name, _ = catalog.split_ref(ref)
        if ref and name in providers and _vision(ref, endpoints):
            return ref
    return None


@dataclass
class Outcome:
    described: list[uuid.UUID] = field(default_factory=list)
    kept: list[uuid.UUID] = field(default_factory=list)  # a person wrote one meanwhile
    failed: list[uuid.UUID] = field(default_factory=list)
    no_vision: bool = False
    stopped: str = ""  # why the batch stopped early (the budget)
    more: bool = False  # images are left: the job queued itself again


async def _pending(session: AsyncSession, limit: int) -> list[tuple[NoteImage, str]]:
    rows = await session.execute(
        select(NoteImage, Project.llm_model)
        .join(ProjectNote, col(ProjectNote.id) == col(NoteImage.note_id))
        .join(Project, col(Project.id) == col(ProjectNote.project_id))
        .where(
            NoteImage.description == "",
            NoteImage.description_source == DescriptionSource.NONE.value,
            col(NoteImage.description_attempts) < MAX_ATTEMPTS,
        )
        .order_by(col(NoteImage.created_at).desc(), col(NoteImage.id))
        .limit(limit)
    )
    return [(image, model) for image, model in rows]


async def describe_pending(tenant_id: uuid.UUID, user_id: uuid.UUID, *, batch: int = BATCH) -> Outcome:
    """The job: describe up to ``batch`` images that have no description (see the module doc)."""
    ctx = TenantContext(tenant_id, user_id, Role.MEMBER)
    outcome = Outcome()
    async with transaction(tenant_id) as session:
        pending = await _pending(session, batch + 1)
        model = await vision_model(session, ctx, pending[0][1]) if pending else None
    if not pending:
        return outcome
    if model is None:
        outcome.no_vision = True
        return outcome
    outcome.more, pending = len(pending) > batch, pending[:batch]
    storage = get_storage()
    for image, _ in pending:
        try:
            data = await asyncio.to_thread(storage.get, image.image_key)
            request = LlmRequest(
                PROMPT, model=model, images=[ImageInput(data, image.content_type)], max_tokens=MAX_TOKENS,
                purpose="image description",
            )  # fmt: skip
            result = await complete(ctx, request)
        except BudgetExceeded as refused:
            outcome.stopped = refused.message
            break
        except (ServiceError, StorageError) as failure:
            log.warning("describing image %s failed: %s", image.id, getattr(failure, "message", failure))
            async with transaction(tenant_id) as session:
                await session.execute(
                    update(NoteImage)
                    .where(col(NoteImage.id) == image.id)
                    .values(description_attempts=NoteImage.description_attempts + 1)
                )
            outcome.failed.append(image.id)
            continue
        written = " ".join(result.output.split())[:IMAGE_DESCRIPTION_MAX]
        async with transaction(tenant_id) as session:
            done = await session.execute(_WRITE, {"d": written, "id": image.id})
            if done.rowcount:  # type: ignore[attr-defined]
                await notify(session, RUNS_CHANNEL, str(image.note_id))
        (outcome.described if done.rowcount else outcome.kept).append(image.id)  # type: ignore[attr-defined]
    if outcome.more and not outcome.stopped:
        async with transaction(tenant_id) as session:
            await queue_job(session, ctx)
    return outcome
