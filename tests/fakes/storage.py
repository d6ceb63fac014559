"""Storage fixtures: a local directory per test, and S3 as moto's server on loopback (real HTTP)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from nyx_app.integrations import storage
from nyx_app.settings import get_settings

S3_ENV = {
    "NYX_STORAGE_BACKEND": "s3",
    "NYX_S3_REGION": "us-east-1",
    "NYX_S3_ACCESS_KEY_ID": "testing",
    "NYX_S3_SECRET_ACCESS_KEY": "testing",
}


def _reload() -> storage.Storage:
    get_settings.cache_clear()
    storage.get_storage.cache_clear()
    return storage.get_storage()


@pytest.fixture
def local_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[storage.LocalStorage]:
    """The app's storage (get_storage()) is a fresh directory for this test."""
    monkeypatch.setenv("NYX_STORAGE_BACKEND", "local")
    monkeypatch.setenv("NYX_FILES_DIR", str(tmp_path / "files"))
    backend = _reload()
    assert isinstance(backend, storage.LocalStorage)
    yield backend
    monkeypatch.undo()
    _reload()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[storage.S3Storage]:
    """The app's storage is S3 (moto over HTTP), with an empty bucket of its own."""
    bucket = f"nyx-test-{uuid.uuid4().hex[:12]}"
    for name, value in {**S3_ENV, "NYX_S3_ENDPOINT_URL": moto_endpoint, "NYX_S3_BUCKET": bucket}.items():
        monkeypatch.setenv(name, value)
    backend = _reload()
    assert isinstance(backend, storage.S3Storage)
    backend.client.create_bucket(Bucket=bucket)
    yield backend
    monkeypatch.undo()
    _reload()


def object_count(backend: storage.Storage) -> int:
    """How many objects the backend holds (the test's own directory or bucket)."""
    if isinstance(backend, storage.LocalStorage):
        return sum(1 for p in backend.root.rglob("*") if p.is_file()) if backend.root.exists() else 0
    assert isinstance(backend, storage.S3Storage)
    return int(backend.client.list_objects_v2(Bucket=backend.bucket).get("KeyCount", 0))
