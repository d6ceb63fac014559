"""What the sample project shows of the whole loop: a finished *Image to implementation* run, a
discussion between two starter personas, and the run's report.

All recorded: the rows are written here as the engine would have written them, no model is called,
nothing costs anything (no ``llm_call`` rows, cost 0), and every title and model name says it is a
sample. The run, the discussion and the report open like real ones, so a newcomer sees the product
before adding a key.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app.db.base import utcnow
from nyx_app.models.discussion import Discussion, DiscussionMessage, MessageKind
from nyx_app.models.persona import Persona
from nyx_app.models.project import Project
from nyx_app.models.run import Run, RunKind, RunStatus, StepRun, StepStatus
from nyx_app.models.workflow import Workflow
from nyx_app.services.context import TenantContext
from nyx_app.services.discussions import prompts
from nyx_app.services.engine import material
from nyx_app.services.engine.run_base import item_label
from nyx_app.services.reports import built
from nyx_app.services.workflows import store
from nyx_app.services.workflows.builtin import FLAGSHIP
from nyx_app.services.workflows.definition import WorkflowDefinition

SAMPLE_MODEL = "recorded sample (no model was called)"
RUN_TITLE = "Image to implementation (sample, recorded)"
SECONDS = {"enrich": 6.0, "action_points": 9.0, "synthesis": 7.0, "final": 8.0}
PLAN_SECONDS = 12.0

ENRICH = (
    "The notes describe a lunar-lander game in progress. **Start here** [N1] sets out the landing flow "
    "(approach → descent → touchdown) and the screens (login, dashboard, gauges) shown in its two "
    "screenshots [N1.1] [N1.2]. **Altitude alarm** [N2] asks that a too-fast descent be *seen*: the gauge "
    "turns red, a tone sounds and the abort button is highlighted; its diagram [N2.1] shows the chain "
    "sensor → check → alarm. The memory hub adds that every alarm needs a visual signal as well as a sound."
)
POINTS: list[dict[str, Any]] = [
    {
        "title": "Red descent gauge",
        "description": "Turn the descent gauge red while the descent rate is above the limit, and back when it "
        "is not, so the pilot sees the danger without listening.",
        "notes": ["N2"],
        "images": ["N2.1"],
    },
    {
        "title": "Alarm tone with a visual twin",
        "description": "Play the alarm tone when the limit is crossed, always together with the red gauge "
        "(the memory hub's rule), and never more than once a second.",
        "notes": ["N2"],
        "images": ["N2.1"],
    },
    {
        "title": "Highlighted abort button",
        "description": "Highlight the abort button during the alarm and move keyboard focus to it, so one key "
        "press aborts the landing.",
        "notes": ["N1", "N2"],
        "images": ["N1.2"],
    },
]
PLANS = [
    "**Files:** `gauges/descent.py`, `ui/theme.py`.\n\n1. Add `DESCENT_LIMIT` to the settings.\n"
    "2. In `DescentGauge.update`, compare the rate with the limit and switch the style to `danger`.\n"
    "3. Give `danger` a red that passes contrast on the dark cockpit theme.\n\n"
    "**Tests:** a rate above the limit turns the gauge red; back below, it returns to normal.",
    "**Files:** `alarm/tone.py`, `alarm/controller.py`.\n\n1. `AlarmController.raise_()` starts the tone and "
    "sets the gauge's danger state in one call, so neither happens alone.\n2. Rate-limit the tone to once a "
    "second.\n3. Stop both when the rate is back under the limit.\n\n"
    "**Tests:** raising the alarm always sets both signals; two raises within a second play one tone.",
    "**Files:** `ui/cockpit.py`.\n\n1. While the alarm is on, add the `pulse` style to the abort button.\n"
    "2. Move keyboard focus to it when the alarm starts (and back when it ends).\n3. Announce the alarm to "
    "screen readers with a polite live region.\n\n"
    "**Tests:** focus lands on Abort when the alarm starts; Enter aborts the landing.",
]
SYNTHESIS = (
    "The three plans fit together. Do **Alarm tone with a visual twin** first: its `AlarmController` is what "
    "the gauge and the abort button react to. Then the red gauge, then the abort button. No plan covers "
    "sound being muted by the user's device: the visual signals must carry the alarm alone."
)
FINAL = (
    "Implement the altitude alarm of the lunar-lander game in three steps, in this order:\n\n"
    "1. **AlarmController** (`alarm/controller.py`): `raise_()` starts the tone (at most once a second) and "
    "sets the descent gauge's danger state together; `clear()` undoes both.\n"
    "2. **Red descent gauge** (`gauges/descent.py`, `ui/theme.py`): red above `DESCENT_LIMIT`, with AA contrast "
    "on the dark theme.\n"
    "3. **Abort button** (`ui/cockpit.py`): highlighted and focused during the alarm; a polite live region "
    "announces it.\n\nWrite a test for each step as described in its plan, and keep the visual signals working "
    "with the sound muted."
)
QUESTION = "The altitude alarm: is a tone enough, or does every alarm need a visual signal too?"
ANSWERS = [
    "A tone alone fails in the cases that matter: muted devices, noisy rooms, people who cannot hear it. "
    "Pair it with a **visual signal that does not depend on colour alone** (the red gauge *and* a label), "
    "and move focus to the action that fixes it (Abort).",
    "Agreed, and keep them as one event: if the code can raise the tone without the gauge, one day it will. "
    "One `AlarmController` that sets both, plus a test that asserts both change together, makes the rule "
    "hard to break.",
]


def _step_row(ctx: TenantContext, run: Run, key: str, output: str, seconds: float, **extra: Any) -> StepRun:
    started = run.started_at or utcnow()
    return StepRun(
        tenant_id=ctx.tenant_id,
        run_id=run.id,
        key=key,
        status=StepStatus.SUCCEEDED.value,
        model=SAMPLE_MODEL,
        output=output,
        started_at=started,
        finished_at=started + timedelta(seconds=seconds),
        cost_usd=Decimal(0),
        **extra,
    )


async def _workflow_run(session: AsyncSession, ctx: TenantContext, project: Project) -> Run:
    workflow: Workflow = await store.create_workflow(session, ctx, project.id, template=FLAGSHIP)
    sources = (await material.gather(session, project.id)).sources
    return await recorded_run(session, ctx, project, workflow, sources)


async def recorded_run(
    session: AsyncSession,
    ctx: TenantContext,
    project: Project,
    workflow: Workflow,
    sources: dict[str, Any],
    title: str = RUN_TITLE,
) -> Run:
    """A finished flagship run of ``workflow`` written as recorded rows (also the benchmarks' runs)."""
    definition = WorkflowDefinition.model_validate(workflow.definition)
    finished = utcnow()
    started = finished - timedelta(seconds=sum(SECONDS.values()) + PLAN_SECONDS)
    run = Run(
        tenant_id=ctx.tenant_id,
        project_id=project.id,
        kind=RunKind.WORKFLOW.value,
        workflow_id=workflow.id,
        title=title,
        definition=definition.model_dump(mode="json"),
        inputs={"template": FLAGSHIP, "sample": True, "sources": sources},
        status=RunStatus.SUCCEEDED.value,
        started_by=ctx.user_id,
        started_at=started,
        finished_at=finished,
        cost_usd=Decimal(0),
    )
    session.add(run)
    await session.flush()
    sections = [f"## {p['title']}\n\n{plan}" for p, plan in zip(POINTS, PLANS, strict=True)]
    rows = [
        _step_row(ctx, run, "enrich", ENRICH, SECONDS["enrich"]),
        _step_row(ctx, run, "action_points", json.dumps(POINTS, indent=2), 9.0, output_data=POINTS),
        _step_row(ctx, run, "plan", "\n\n".join(sections), PLAN_SECONDS, output_data=PLANS),
        _step_row(ctx, run, "synthesis", SYNTHESIS, SECONDS["synthesis"]),
        _step_row(ctx, run, "final", FINAL, SECONDS["final"]),
    ]
    rows += [
        _step_row(ctx, run, "plan", plan, PLAN_SECONDS, item_index=i, item=p, label=item_label(p, i))
        for i, (p, plan) in enumerate(zip(POINTS, PLANS, strict=True))
    ]
    session.add_all(rows)
    await session.flush()
    return run


async def recorded_discussion(session: AsyncSession, ctx: TenantContext, project: Project) -> Discussion | None:
    """Two starter personas answer one question (nothing when the workspace has fewer than two)."""
    personas = list(await session.exec(select(Persona).order_by(col(Persona.created_at), col(Persona.name)).limit(2)))
    if len(personas) < 2:
        return None
    speakers = [prompts.Speaker(str(p.id), p.name, p.role) for p in personas]
    discussion = Discussion(
        tenant_id=ctx.tenant_id,
        project_id=project.id,
        title="Sample: must every alarm be seen?",
        model=SAMPLE_MODEL,
        persona_ids=[s.persona_id for s in speakers],
        created_by=ctx.user_id,
    )
    session.add(discussion)
    await session.flush()
    definition = prompts.round_definition(round_no=1, question=QUESTION, earlier="", speakers=speakers, model="")
    finished = utcnow()
    run = Run(
        tenant_id=ctx.tenant_id,
        project_id=project.id,
        kind=RunKind.DISCUSSION.value,
        title=f"{discussion.title} · round 1",
        definition=definition,
        inputs={"discussion_id": str(discussion.id), "sample": True},
        status=RunStatus.SUCCEEDED.value,
        started_by=ctx.user_id,
        started_at=finished - timedelta(seconds=20),
        finished_at=finished,
    )
    session.add(run)
    await session.flush()
    session.add_all(_step_row(ctx, run, prompts.turn_key(i), a, 10.0) for i, a in enumerate(ANSWERS))
    messages: list[dict[str, Any]] = [{"kind": MessageKind.QUESTION.value, "content": QUESTION}]
    messages += [
        {
            "kind": MessageKind.ANSWER.value,
            "run_id": run.id,
            "step_key": prompts.turn_key(i),
            "persona_id": uuid.UUID(s.persona_id),
            "persona_name": s.name,
            "persona_role": s.role,
        }
        for i, s in enumerate(speakers)
    ]
    session.add_all(
        DiscussionMessage(tenant_id=ctx.tenant_id, discussion_id=discussion.id, seq=n, created_by=ctx.user_id, **m)
        for n, m in enumerate(messages, start=1)
    )
    await session.flush()
    return discussion


async def add_story(session: AsyncSession, ctx: TenantContext, project: Project) -> None:
    """The finished run, its report and a discussion, in the caller's transaction."""
    run = await _workflow_run(session, ctx, project)
    await built.make_run_report(session, ctx, run.id, project.id)
    await recorded_discussion(session, ctx, project)
