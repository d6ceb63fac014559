"""What an executor of one run holds (its rows, definition, material, personas, lease-holding
recorder and the successes not yet written) and how it reads its step graph.

The executor is one class built in layers, each in its own module: this state; one step's work
(``step_call.py``: prompt, model call, success or failure); the scheduler (``scheduler.py``: what
starts when, fan-outs, reviews, cancel and pause); and loading, steering and the entry
(``executor.py``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from nyx_app.models.run import NO_ITEM, StepRun, StepStatus
from nyx_app.services.context import TenantContext
from nyx_app.services.engine import material
from nyx_app.services.engine.handover import Handover
from nyx_app.services.engine.record import Recorder
from nyx_app.services.llm.call import ImageInput, SetupCache
from nyx_app.services.personas import usage as persona_usage
from nyx_app.services.workflows import templates
from nyx_app.services.workflows.definition import WorkflowDefinition
from nyx_app.settings import get_settings

BLOCKING = (StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELLED)


def item_label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for field_name in ("title", "name", "key", "summary"):
            if isinstance(item.get(field_name), str) and item[field_name].strip():
                return item[field_name].strip()[:200]
        return json.dumps(item, ensure_ascii=False)[:80]
    text = str(item).strip()
    return text[:200] if text else f"Item {index + 1}"


class ExecutorBase:
    def __init__(self, tenant_id: uuid.UUID, run_id: uuid.UUID, stop: asyncio.Event | None = None) -> None:
        self.tenant_id = tenant_id
        self.run_id = run_id
        self.stop = stop or asyncio.Event()
        # A pause asked for (PauseMode, "" for none); ``_steer`` wakes the scheduler when it changes.
        self.pausing = ""
        # A comparison of models asks each model alone: no fallback to another (model_compare.py).
        self.pinned = False
        self._steer = asyncio.Event()
        self.recorder = Recorder(tenant_id, run_id)
        self.recorder.on_lost = self.stop.set  # refused: stop everything (calls in flight are cancelled)
        self.rows: dict[tuple[str, int], StepRun] = {}
        self.definition = WorkflowDefinition()
        self.material: material.Material | None = None
        self.ctx: TenantContext | None = None
        self.project_id: uuid.UUID | None = None
        self.inputs: dict[str, Any] = {}
        self._image_cache: tuple[list[ImageInput], str] | None = None
        self._gate = asyncio.Semaphore(get_settings().run_max_parallel_steps)
        self._failed: list[str] = []
        self.personas: dict[str, persona_usage.RunPersona] = {}
        # {{insights}}, {{policies}} …: retrieved once per run (engine/knowledge.py).
        self.knowledge: dict[str, templates.Retrieved | str] = {}
        self._setups = SetupCache()
        # What each step waits for, worked out once: the scheduler asks after every finished step.
        self._needs: dict[str, list[str]] = {}
        # Successes not yet written: the next step to start takes them along (handover.py).
        self._handover = Handover(self.recorder, self._user_id)

    # -- the graph -------------------------------------------------------------------------------
    def parent(self, key: str) -> StepRun:
        return self.rows[(key, NO_ITEM)]

    def items(self, key: str) -> list[StepRun]:
        return sorted((r for (k, i), r in self.rows.items() if k == key and i != NO_ITEM), key=lambda r: r.item_index)

    def _status(self, row: StepRun) -> StepStatus:
        return StepStatus(row.status)

    def _user_id(self) -> uuid.UUID:
        assert self.ctx is not None
        return self.ctx.user_id
