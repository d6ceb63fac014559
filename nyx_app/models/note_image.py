"""Images attached to a note (or, as the seed's model allows, to a memory entry)."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from nyx_app.db.base import IdMixin, TenantMixin, TimestampMixin

IMAGE_DESCRIPTION_MAX = 2000
IMAGE_NAME_MAX = 200


class DescriptionSource(StrEnum):
    """Who wrote an image's description. A person's text is never replaced by a model's: the
    background describer writes only where the source is still NONE (services/image_descriptions)."""

    NONE = ""
    USER = "user"
    AI = "ai"


class NoteImage(IdMixin, TenantMixin, TimestampMixin, table=True):
    __tablename__ = "note_image"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "note_id"], ["project_note.tenant_id", "project_note.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["tenant_id", "memory_id"], ["memory_entry.tenant_id", "memory_entry.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("note_id", "image_key"),
    )

    note_id: uuid.UUID = Field(index=True)
    memory_id: uuid.UUID | None = Field(default=None, index=True)
    image_key: str = Field(max_length=400)
    thumb_key: str = Field(max_length=400)
    content_type: str = Field(max_length=40)
    width: int
    height: int
    bytes: int
    sha256: str = Field(max_length=64)
    description: str = Field(default="", max_length=IMAGE_DESCRIPTION_MAX)
    description_source: str = Field(default=DescriptionSource.NONE.value, max_length=8)
    # Failed tries of the background describer (it stops after a few; a person can still write one).
    description_attempts: int = 0
    sort_order: int = 0
    # The name it was uploaded with (cleaned by display_name), shown in the lightbox; never a key.
    file_name: str = Field(default="", max_length=IMAGE_NAME_MAX)


class NoteImagePublic(SQLModel):
    """What pages get: no storage keys (the browser fetches images by id through the image route)."""

    id: uuid.UUID
    note_id: uuid.UUID
    content_type: str
    width: int
    height: int
    bytes: int
    description: str
    description_source: str = ""
    sort_order: int
    file_name: str = ""
