"""Set-up shared by the engine, run, job and live tests: a workspace whose provider is the fake
LLM, a project with notes and screenshots, and a workflow ready to start."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from nyx_app.db.session import transaction
from nyx_app.models.run import NO_ITEM, Run, StepRun
from nyx_app.services import note_images, notes, projects
from nyx_app.services.engine.executor import execute
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.runs import control
from nyx_app.services.workflows import store
from tests.factories import Account, TenantFactory
from tests.fakes.fixtures import connect_providers
from tests.fakes.images import image_bytes
from tests.fakes.llm_server import FakeLLM

MODEL = "claude-sonnet-4-6"  # the default project model, answered by the fake server


@dataclass
class Workspace:
    account: Account
    project_id: uuid.UUID

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.account.ctx


async def workspace(tenants: TenantFactory, fake: FakeLLM, *, notes_count: int = 2, images: int = 1) -> Workspace:
    acct = await tenants.create()
    await connect_providers(acct.ctx, fake, "anthropic")
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        project = await projects.create_project(s, acct.ctx, "Onboarding", "A project about onboarding")
        created = [
            await notes.create_note(s, acct.ctx, project.id, f"Note {n}", f"The login page needs work ({n}).")
            for n in range(1, notes_count + 1)
        ]
    for note in created[:1] if images else []:
        files = [IncomingFile(f"shot{i}.png", image_bytes(size=(64 + i, 48))) for i in range(images)]
        checked = await note_images.check_files(files)
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await note_images.save_images(s, acct.ctx, note.id, checked)
    return Workspace(acct, project.id)


async def workflow(ws: Workspace, *, template: str = "", definition: dict[str, Any] | None = None) -> uuid.UUID:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        wf = await store.create_workflow(s, ws.ctx, ws.project_id, template=template)
        if definition is not None:
            wf = await store.save_workflow(s, ws.ctx, wf.id, name=wf.name, description="", definition=definition)
        return wf.id


async def start(ws: Workspace, workflow_id: uuid.UUID) -> uuid.UUID:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return (await control.start_workflow_run(s, ws.ctx, workflow_id)).id


async def run_to_end(ws: Workspace, run_id: uuid.UUID) -> Run:
    await execute(ws.ctx.tenant_id, run_id)
    return await load_run(ws, run_id)


async def load_run(ws: Workspace, run_id: uuid.UUID) -> Run:
    async with transaction(ws.ctx.tenant_id) as s:
        run = await s.get(Run, run_id)
        assert run is not None
        return run


async def step_rows(ws: Workspace, run_id: uuid.UUID) -> dict[tuple[str, int], StepRun]:
    async with transaction(ws.ctx.tenant_id) as s:
        rows = await s.exec(select(StepRun).where(StepRun.run_id == run_id).order_by(col(StepRun.item_index)))
        return {(r.key, r.item_index): r for r in rows}


async def statuses(ws: Workspace, run_id: uuid.UUID) -> dict[str, str]:
    return {k: r.status for (k, i), r in (await step_rows(ws, run_id)).items() if i == NO_ITEM}


def steps(*defs: dict[str, Any]) -> dict[str, Any]:
    return {"steps": list(defs)}
