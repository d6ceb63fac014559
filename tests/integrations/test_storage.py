import uuid

import httpx
import pytest

from nyx_app.integrations.storage import (
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    Storage,
    StorageError,
    check_key,
    new_key,
    thumb_key_for,
)
from nyx_app.settings import get_settings
from tests.fakes.storage import object_count

T, P, N = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> Storage:
    return request.getfixturevalue("local_storage" if request.param == "local" else "s3_storage")


def test_keys_are_generated_from_ids_never_from_a_name() -> None:
    key = new_key(T, P, N, "png")
    tenant, project, note, name = key.split("/")
    assert (tenant, project, note) == (str(T), str(P), str(N))
    assert name.endswith(".png") and len(name) == 32 + 4
    assert new_key(T, P, N, "png") != key
    assert thumb_key_for(key) == key.removesuffix(".png") + ".thumb.webp"
    assert check_key(thumb_key_for(key))


@pytest.mark.parametrize("bad", ["../etc/passwd", f"{T}/{P}/{N}/../../x.png", "/abs/path.png", f"{T}/{P}/{N}/x.png"])
def test_anything_but_a_generated_key_is_refused(bad: str, local_storage: LocalStorage) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        local_storage.put(bad, b"x", "image/png")


def test_put_get_delete_round_trip(backend: Storage) -> None:
    key = new_key(T, P, N, "png")
    backend.put(key, b"\x89PNG data", "image/png")
    assert backend.get(key) == b"\x89PNG data"
    assert object_count(backend) == 1
    backend.delete(key)
    backend.delete(key)  # idempotent
    assert object_count(backend) == 0
    with pytest.raises(ObjectNotFound):
        backend.get(key)


def test_local_files_live_in_the_data_dir_and_empty_folders_are_removed(local_storage: LocalStorage) -> None:
    assert local_storage.root == get_settings().storage_dir.resolve()
    key = new_key(T, P, N, "jpg")
    local_storage.put(key, b"jpeg", "image/jpeg")
    assert (local_storage.root / key).read_bytes() == b"jpeg"
    assert local_storage.url(key) is None  # served only through the authenticated route
    local_storage.delete(key)
    assert list(local_storage.root.iterdir()) == []


def test_local_write_failure_is_a_storage_error_and_leaves_nothing(local_storage: LocalStorage) -> None:
    local_storage.root.mkdir(parents=True, exist_ok=True)
    (local_storage.root / str(T)).write_bytes(b"a file where a folder should be")
    with pytest.raises(StorageError, match="could not store"):
        local_storage.put(new_key(T, P, N, "png"), b"x", "image/png")
    assert [p.name for p in local_storage.root.rglob("*")] == [str(T)]


def test_s3_presigned_url_serves_the_object_over_http_for_a_short_time(s3_storage: S3Storage) -> None:
    key = new_key(T, P, N, "webp")
    s3_storage.put(key, b"RIFF....WEBP", "image/webp")
    url = s3_storage.url(key)
    assert url is not None and "X-Amz-Expires=300" in url
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"RIFF....WEBP"
    assert response.headers["content-type"] == "image/webp"


def test_s3_unreachable_is_a_storage_error(s3_storage: S3Storage) -> None:
    s3_storage.bucket = "no-such-bucket"
    with pytest.raises(StorageError, match="could not store"):
        s3_storage.put(new_key(T, P, N, "png"), b"x", "image/png")


def test_local_put_survives_its_folder_being_removed_by_a_concurrent_delete(
    local_storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    real_mkstemp = tempfile.mkstemp
    calls = 0

    def folder_gone_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:  # what a concurrent delete() of the folder's last object looks like
            raise FileNotFoundError("folder removed meanwhile")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", folder_gone_once)
    key = new_key(T, P, N, "png")
    local_storage.put(key, b"png", "image/png")
    assert local_storage.get(key) == b"png"
    assert calls == 2


def test_each_database_gets_its_own_files_folder_by_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from nyx_app.settings import Settings

    dev = Settings(data_dir=tmp_path, database_name="nyx", files_dir=None)
    e2e = Settings(data_dir=tmp_path, database_name="nyx_e2e", files_dir=None)
    assert dev.storage_dir == tmp_path / "files" / "nyx"
    assert e2e.storage_dir == tmp_path / "files" / "nyx_e2e"
    assert Settings(files_dir=tmp_path / "elsewhere").storage_dir == tmp_path / "elsewhere"
