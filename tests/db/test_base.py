"""The shared column defaults: every row gets its own empty list or dict, never a shared one."""

import uuid

from nyx_app.models.run import Run, StepRun


def test_each_row_gets_its_own_empty_collections() -> None:
    tenant, run = uuid.uuid4(), uuid.uuid4()
    first, second = (StepRun(tenant_id=tenant, run_id=run, key="a", item_index=i) for i in range(2))
    first.attempts.append({"status": "ok"})
    first.call_ids.append(uuid.uuid4())

    assert (second.attempts, second.call_ids) == ([], [])
    a, b = Run(tenant_id=tenant, project_id=run, title="a"), Run(tenant_id=tenant, project_id=run, title="b")
    a.inputs["sources"] = {}
    assert b.inputs == {} and b.definition == {}
