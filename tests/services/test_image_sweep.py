import uuid
from datetime import timedelta

import pytest

from nyx_app.db.base import utcnow
from nyx_app.integrations.storage import Storage, new_key
from nyx_app.services.image_sweep import sweep_orphan_objects
from tests.factories import TenantFactory
from tests.fakes import images as corpus
from tests.fakes.storage import object_count
from tests.services.test_note_images import make_note, upload


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> Storage:
    return request.getfixturevalue("local_storage" if request.param == "local" else "s3_storage")


async def test_sweep_removes_only_old_objects_without_a_row(tenants: TenantFactory, storage: Storage) -> None:
    account = await tenants.create()
    project_id, note_id = await make_note(account.ctx)
    await upload(account.ctx, note_id, ("a.png", corpus.image_bytes()), ("b.png", corpus.image_bytes()))
    # Left by a crash between storing and committing, and by a tenant deleted since.
    crashed = new_key(account.ctx.tenant_id, project_id, note_id, "png")
    gone_tenant = new_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "jpg")
    for key in (crashed, gone_tenant):
        storage.put(key, b"orphan", "image/png")
    assert object_count(storage) == 6

    # Within the grace period nothing is touched: it could be an upload about to commit.
    assert (await sweep_orphan_objects()).removed == []
    report = await sweep_orphan_objects(now=utcnow() + timedelta(hours=2))
    assert sorted(report.removed) == sorted([crashed, gone_tenant])
    assert report.checked == 6
    assert object_count(storage) == 4
