"""Object storage for uploaded files: one interface, a local directory or S3 behind it.

Keys are generated here (``tenant/project/note/<uuid>.<ext>``, and
``tenant/personas/persona/<uuid>.<ext>`` for portraits), never taken from an uploaded name. The
local backend lives under the data directory, not Reflex's public upload folder (served without
auth): its files reach the browser only through the authenticated image and portrait routes.
S3 objects reach it through short-lived presigned URLs.

The calls are blocking (disk or HTTP): call them from a worker thread in async code.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from nyx_app.settings import Settings, get_settings

# What a generated key looks like; anything else is refused before it reaches a path or a bucket.
_KEY_RE = re.compile(
    r"^[0-9a-f-]{36}/(?:[0-9a-f-]{36}|personas|policies)/[0-9a-f-]{36}/[0-9a-f]{32}(\.thumb)?\.[a-z]{2,4}$"
)


class StorageError(RuntimeError):
    """The storage backend failed (disk full, S3 unreachable): a problem to report, not the user's."""


class ObjectNotFound(LookupError):
    """No object under this key."""


def new_key(tenant_id: uuid.UUID, project_id: uuid.UUID, note_id: uuid.UUID, ext: str) -> str:
    return f"{tenant_id}/{project_id}/{note_id}/{uuid.uuid4().hex}.{ext}"


def new_portrait_key(tenant_id: uuid.UUID, persona_id: uuid.UUID, ext: str) -> str:
    return f"{tenant_id}/personas/{persona_id}/{uuid.uuid4().hex}.{ext}"


def new_policy_key(tenant_id: uuid.UUID, document_id: uuid.UUID, ext: str) -> str:
    return f"{tenant_id}/policies/{document_id}/{uuid.uuid4().hex}.{ext}"


def thumb_key_for(key: str) -> str:
    """The thumbnail sits next to its image; thumbnails are always WebP."""
    return key.rsplit(".", 1)[0] + ".thumb.webp"


def check_key(key: str) -> str:
    if not _KEY_RE.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    modified: datetime


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing object is not an error."""

    def url(self, key: str) -> str | None:
        """A URL the browser may fetch directly for a short time, or None: serve it via get()."""

    def ready(self) -> None:
        """Raise StorageError unless objects can be written now (``/readyz``)."""

    def list_objects(self) -> Iterator[StoredObject]:
        """Every object under a generated key (for the orphan sweep)."""


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # belt and braces: the key pattern already forbids '..'
            raise ValueError(f"key escapes the storage directory: {key!r}")
        return path

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, a crash leaves no partial object.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        for attempt in (1, 2):
            try:
                self._write(path, data)
                return
            except FileNotFoundError as exc:
                # delete() of a folder's last object removes the folder; if that happens between
                # our mkdir and our write, the folder is simply made again.
                if attempt == 2:
                    raise StorageError(f"could not store {key}: {exc}") from exc
            except OSError as exc:
                raise StorageError(f"could not store {key}: {exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc
        # Drop directories left empty (note, then project, then tenant), never the root itself.
        for parent in path.parents:
            if parent == self.root or not parent.is_relative_to(self.root):
                break
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): stop climbing
                break

    def url(self, key: str) -> str | None:
        return None

    def ready(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"the storage directory {self.root} is not writable")

    def list_objects(self) -> Iterator[StoredObject]:
        if not self.root.exists():
            return
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and _KEY_RE.match(key):
                yield StoredObject(key, datetime.fromtimestamp(path.stat().st_mtime, UTC))


class S3Storage:
    def __init__(self, client: Any, bucket: str, presign_seconds: int) -> None:
        self.client = client
        self.bucket = bucket
        self.presign_seconds = presign_seconds

    def ready(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:  # botocore's errors: endpoint down, bucket missing, credentials refused
            raise StorageError(f"the bucket {self.bucket} cannot be reached: {exc}") from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not store {key} in S3: {exc}") from exc

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectNotFound(key) from None
            raise StorageError(f"could not read {key} from S3: {exc}") from exc
        body: bytes = response["Body"].read()
        return body

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not delete {key} from S3: {exc}") from exc

    def list_objects(self) -> Iterator[StoredObject]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                if _KEY_RE.match(item["Key"]):
                    yield StoredObject(item["Key"], item["LastModified"])

    def url(self, key: str) -> str | None:
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key)},
            ExpiresIn=self.presign_seconds,
        )
        return url


def s3_client(settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        # Custom endpoints (MinIO, moto, many S3-compatible services) want path-style addressing.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
        config=config,
    )


def storage_from_settings(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        return S3Storage(s3_client(settings), settings.s3_bucket, settings.s3_presign_seconds)
    return LocalStorage(settings.storage_dir)


@lru_cache(maxsize=1)
def get_storage() -> Storage:
    """The process-wide storage (boto3 clients are thread-safe and worth reusing)."""
    return storage_from_settings(get_settings())
