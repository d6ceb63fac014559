"""The tenant's policy library: upload policy documents (Markdown, text, PDF) tagged by framework
(ISO 27001, DSGVO/GDPR, internal), split into passages with their headings, searchable, and cited
by ``{{policies}}`` in workflows ("[P2] Policy passage: Access Control Policy > 4.2 Passwords").

An upload is read before any transaction (``read_upload``): its size is checked first (a file over
``NYX_POLICY_MAX_BYTES`` is refused before it is read), then its text is extracted in a child
process of a limited pool (``integrations/policy_text.py``: ``NYX_POLICY_EXTRACT_SECONDS``,
``NYX_POLICY_EXTRACT_MEMORY_MB``, at most ``NYX_POLICY_MAX_PAGES`` pages and
``NYX_POLICY_MAX_CHARS`` characters), so a PDF bomb costs a killed child and a message in words.
A bad PDF, a scanned one without text, a binary file: each is refused in words, nothing is written.

``save`` stores the file through ``integrations/storage`` before its rows are flushed, and removes
it again if the transaction fails (after_rollback): no row without its file, no file without its
row. Deleting a document deletes its passages (cascade), their search items (trigger) and, once
committed, its file.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.session import after_commit, after_rollback
from nyx_app.integrations import policy_text
from nyx_app.integrations import storage as storage_backend
from nyx_app.integrations.images import display_name
from nyx_app.integrations.limited_pool import LimitedPool, LimitExceeded
from nyx_app.integrations.storage import Storage, StorageError, new_policy_key
from nyx_app.models.library import (
    POLICY_FILENAME_MAX,
    POLICY_TITLE_MAX,
    PolicyDocument,
    PolicyFramework,
    PolicyPassage,
)
from nyx_app.models.tenancy import User
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput, NotFound
from nyx_app.services.permissions import Action, require
from nyx_app.services.validation import TextKind, optional_text, parse_id
from nyx_app.settings import get_settings

MARKDOWN_SUFFIXES = (".md", ".markdown")
STORE_FAILED = "The document could not be stored right now (storage unavailable). Please try again."

_pool: LimitedPool | None = None
_lock = threading.Lock()


def pool() -> LimitedPool:
    global _pool
    with _lock:
        if _pool is None:
            settings = get_settings()
            _pool = LimitedPool(
                "policies", workers=1, memory_mb=settings.policy_extract_memory_mb, nice=settings.sandbox_nice,
                preload=[policy_text.__name__, "pypdf"],
            )  # fmt: skip
        return _pool


def close() -> None:
    global _pool
    with _lock:
        current, _pool = _pool, None
    if current is not None:
        current.close()


@dataclass(frozen=True, slots=True)
class ReadUpload:
    """An upload whose text was extracted and split, ready to save."""

    filename: str
    title: str
    framework: PolicyFramework
    data: bytes
    pdf: bool
    pages: int
    chars: int
    passages: list[policy_text.Passage]

    @property
    def content_type(self) -> str:
        if self.pdf:
            return "application/pdf"
        return "text/markdown" if self.filename.lower().endswith(MARKDOWN_SUFFIXES) else "text/plain"

    @property
    def ext(self) -> str:
        return "pdf" if self.pdf else ("md" if self.content_type == "text/markdown" else "txt")


def _framework(value: str) -> PolicyFramework:
    try:
        return PolicyFramework(value)
    except ValueError:
        raise InvalidInput("Choose the framework: ISO 27001, DSGVO / GDPR or internal.") from None


def _title(title: str, filename: str) -> str:
    chosen = optional_text(title, "The title", POLICY_TITLE_MAX, kind=TextKind.PROSE).strip()
    if chosen:
        return chosen
    stem = filename.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").strip()
    return (stem or "Policy")[:POLICY_TITLE_MAX]


async def read_upload(
    filename: str, data: bytes, framework: str, title: str = "", *, size: int | None = None
) -> ReadUpload:
    """Check and read an upload (no database): its text extracted under limits and split into
    passages. Raises InvalidInput in words for anything that cannot become a policy document.
    ``size``: the upload's whole size when the caller read only the first ``policy_max_bytes`` + 1."""
    settings = get_settings()
    chosen = _framework(framework)
    name = display_name(filename)[:POLICY_FILENAME_MAX] or "policy"
    whole = max(size or 0, len(data))
    if whole > settings.policy_max_bytes:
        mb = settings.policy_max_bytes / 1_048_576
        raise InvalidInput(f"{name} is {whole / 1_048_576:.1f} MB; policy documents may be at most {mb:g} MB.")
    if not data:
        raise InvalidInput(f"{name} is empty.")
    markdown = name.lower().endswith(MARKDOWN_SUFFIXES)
    try:
        extracted: policy_text.Extracted = await pool().run(
            policy_text.extract, data, markdown, settings.policy_max_pages, settings.policy_max_chars,
            seconds=settings.policy_extract_seconds,
        )  # fmt: skip
    except LimitExceeded as exceeded:
        raise InvalidInput(
            f"{name} could not be read within the limits (it {exceeded}); a PDF built to exhaust readers is "
            "refused this way. If it is a real document, split it or upload its text."
        ) from None
    if not extracted.ok:
        raise InvalidInput(f"{name}: {extracted.problem}")
    pdf = data[:1024].lstrip().startswith(policy_text.PDF_MAGIC)
    passages = policy_text.split(extracted.pages, markdown=markdown and not pdf)
    if not passages:
        raise InvalidInput(f"{name} has no text to split into passages.")
    chars = sum(len(p) for p in extracted.pages)
    return ReadUpload(name, _title(title, name), chosen, data, pdf, len(extracted.pages) if pdf else 0, chars, passages)


async def save(
    session: AsyncSession, ctx: TenantContext, upload: ReadUpload, *, storage: Storage | None = None
) -> PolicyDocument:
    """The document and its passages, its file stored first (removed again if this fails)."""
    require(ctx, Action.POLICY_UPLOAD)
    store = storage if storage is not None else storage_backend.get_storage()
    document_id = uuid.uuid4()
    key = new_policy_key(ctx.tenant_id, document_id, upload.ext)
    try:
        await asyncio.to_thread(store.put, key, upload.data, upload.content_type)
    except StorageError:
        raise InvalidInput(STORE_FAILED) from None
    after_rollback(session, lambda: asyncio.to_thread(store.delete, key))
    document = PolicyDocument(
        id=document_id, tenant_id=ctx.tenant_id, title=upload.title, framework=upload.framework.value,
        filename=upload.filename, content_type=upload.content_type, file_key=key, bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(), pages=upload.pages, chars=upload.chars,
        passage_count=len(upload.passages), created_by=ctx.user_id,
    )  # fmt: skip
    session.add(document)
    await session.flush()
    session.add_all(
        PolicyPassage(tenant_id=ctx.tenant_id, document_id=document_id, seq=n, heading=p.heading, text=p.text,
                      page=p.page)
        for n, p in enumerate(upload.passages, start=1)
    )  # fmt: skip
    await session.flush()
    return document


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    title: str
    framework: str  # its label
    filename: str
    pages: int
    passages: int
    bytes: int
    author: str
    created_at: datetime
    may_delete: bool


@dataclass(frozen=True, slots=True)
class PassageView:
    seq: int
    heading: str
    text: str
    page: int | None


async def documents(session: AsyncSession, ctx: TenantContext) -> list[DocumentView]:
    rows = await session.execute(
        select(PolicyDocument, User.name)
        .outerjoin(User, col(User.id) == col(PolicyDocument.created_by))
        .order_by(col(PolicyDocument.created_at).desc())
    )
    return [
        DocumentView(
            str(d.id), d.title, PolicyFramework(d.framework).label, d.filename, d.pages, d.passage_count, d.bytes,
            author or "someone", d.created_at, ctx.may(Action.POLICY_DELETE, author_id=d.created_by),
        )
        for d, author in rows
    ]  # fmt: skip


async def get_document(session: AsyncSession, ctx: TenantContext, document_id: str | uuid.UUID) -> PolicyDocument:
    document = await session.get(PolicyDocument, parse_id(document_id, "Document"))
    if document is None:
        raise NotFound("Policy document not found.")
    return document


async def passages(session: AsyncSession, ctx: TenantContext, document_id: str | uuid.UUID) -> list[PassageView]:
    document = await get_document(session, ctx, document_id)
    rows = await session.exec(
        select(PolicyPassage).where(PolicyPassage.document_id == document.id).order_by(col(PolicyPassage.seq))
    )
    return [PassageView(p.seq, p.heading, p.text, p.page) for p in rows]


async def count(session: AsyncSession, ctx: TenantContext) -> int:
    return int((await session.exec(select(func.count()).select_from(PolicyDocument))).one())


async def delete(
    session: AsyncSession, ctx: TenantContext, document_id: str | uuid.UUID, *, storage: Storage | None = None
) -> None:
    document = await get_document(session, ctx, document_id)
    require(ctx, Action.POLICY_DELETE, author_id=document.created_by)
    key = document.file_key
    await session.delete(document)
    await session.flush()
    store = storage if storage is not None else storage_backend.get_storage()
    after_commit(session, lambda: asyncio.to_thread(store.delete, key))
