"""Discussions against the fake LLM: each persona answers in turn seeing the answers before it,
a follow-up round sees the first, the best approach and the plan (saved as a note exactly once),
a provider failure shows which provider failed and which answered, and the usual refusals."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlmodel import select

from nyx_app.db.session import transaction
from nyx_app.models.project import ProjectNote
from nyx_app.models.run import Run, RunStatus
from nyx_app.services.discussions import plan_note, store, turns, views
from nyx_app.services.engine import finishers
from nyx_app.services.engine.executor import execute
from nyx_app.services.errors import Conflict, InvalidInput, NotFound
from nyx_app.services.llm import preferences
from nyx_app.services.personas import store as personas
from nyx_app.services.runs import views as run_views
from tests.factories import TenantFactory
from tests.fakes.fixtures import connect_providers
from tests.fakes.llm_server import FakeLLM, LoggedRequest, fault, respond
from tests.runs_helpers import MODEL, Workspace, workspace

pytestmark = pytest.mark.usefixtures("local_storage")

QUESTION = "How should we keep login sessions: signed cookies or server-side rows?"
TEAM = ("Mara Okafor", "Jonas Weber", "Priya Raman")


def model_answer(prompt: str) -> str:
    """Answers that say who wrote them, so tests can see who saw what."""
    if speaker := re.search(r"Now give your answer as ([^.]+)\.", prompt):
        return f"Answer from {speaker[1]}: keep it simple."
    if "Write the best approach" in prompt:
        return "Best approach: server-side rows, hashed tokens."
    if "implementation plan" in prompt:
        return "# Plan: server-side sessions\n\n1. Add the session table."
    return "?"


def system_of(request: LoggedRequest) -> str:
    system = request.body.get("system", "")
    return " ".join(b.get("text", "") for b in system) if isinstance(system, list) else str(system)


async def team(ws: Workspace, names: tuple[str, ...] = TEAM) -> list[str]:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        by_name = {p.name: p.id for p in await personas.list_personas(s, ws.ctx)}
    return [by_name[n] for n in names]


async def begin(ws: Workspace, question: str = QUESTION, names: tuple[str, ...] = TEAM) -> str:
    ids = await team(ws, names)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        discussion = await turns.create_discussion(s, ws.ctx, ws.project_id, question=question, persona_ids=ids)
    return str(discussion.id)


async def finish_latest(ws: Workspace, discussion_id: str) -> Run:
    """Execute the discussion's newest run, as a worker would."""
    async with transaction(ws.ctx.tenant_id) as s:
        run = await turns.latest_run(s, uuid.UUID(discussion_id))
    assert run is not None
    await execute(ws.ctx.tenant_id, run.id)
    async with transaction(ws.ctx.tenant_id) as s:
        done = await s.get(Run, run.id)
    assert done is not None
    return done


async def view_of(ws: Workspace, discussion_id: str) -> views.DiscussionView:
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return await views.discussion_view(s, ws.ctx, discussion_id)


async def act(ws: Workspace, action, *args):  # type: ignore[no-untyped-def]
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        return await action(s, ws.ctx, *args)


async def test_each_persona_answers_in_turn_seeing_the_answers_before_it(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    fake_llm.script(MODEL, then=respond(model_answer))
    discussion_id = await begin(ws)

    run = await finish_latest(ws, discussion_id)

    assert run.status == RunStatus.SUCCEEDED and run.kind == "discussion"
    first, second, third = fake_llm.prompts(MODEL)
    assert QUESTION in first and "Answer from" not in first
    assert "Answer from Mara Okafor" in second and "Answer from Jonas" not in second
    assert "Answer from Mara Okafor" in third and "Answer from Jonas Weber" in third
    # Each speaks with its own system prompt first, then the discussion's framing.
    systems = [system_of(r) for r in fake_llm.requests]
    assert systems[1].startswith("You are Jonas Weber, a frontend architect.")
    assert "expert discussion with: Mara Okafor (Security reviewer), Jonas Weber (Frontend architect)" in systems[1]

    view = await view_of(ws, discussion_id)
    assert [m.kind for m in view.messages] == ["question", "answer", "answer", "answer"]
    assert view.messages[0].text == QUESTION
    answers = view.messages[1:]
    assert [m.speaker.name for m in answers if m.speaker] == list(TEAM)
    assert [m.text for m in answers] == [f"Answer from {n}: keep it simple." for n in TEAM]
    assert all(m.status == "succeeded" and m.model == f"anthropic/{MODEL}" for m in answers)
    assert all(m.tokens > 0 and m.cost_usd > 0 for m in answers)
    assert not view.answering and view.has_answers and not view.has_synthesis
    assert view.cost_usd == sum(m.cost_usd for m in answers)
    # Every turn was a use of its persona.
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        used = {p.name: (p.xp, p.uses) for p in await personas.list_personas(s, ws.ctx)}
    assert [used[n] for n in TEAM] == [(10, 1)] * 3 and used["Lena Fischer"] == (0, 0)


async def test_the_run_history_names_a_discussion_run_and_the_discussion_it_answers_in(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    fake_llm.script(MODEL, then=respond(model_answer))
    discussion_id = await begin(ws)
    await finish_latest(ws, discussion_id)
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        [summary] = await run_views.run_history(s, ws.ctx, ws.project_id)
    assert (summary.kind, summary.discussion_id, summary.report_id) == ("discussion", discussion_id, "")


async def test_a_follow_up_round_sees_the_first_and_only_one_round_runs_at_a_time(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    fake_llm.script(MODEL, then=respond(model_answer))
    discussion_id = await begin(ws)
    with pytest.raises(Conflict, match="still answering"):
        await act(ws, turns.follow_up, discussion_id, "And Redis?")
    await finish_latest(ws, discussion_id)

    await act(ws, turns.follow_up, discussion_id, "What changes if we add Redis?")
    run = await finish_latest(ws, discussion_id)

    assert run.status == RunStatus.SUCCEEDED
    opening = fake_llm.prompts(MODEL)[3]  # the first answer of round 2
    assert QUESTION in opening and "What changes if we add Redis?" in opening
    assert all(f"Answer from {n}: keep it simple." in opening for n in TEAM)
    assert "follow-up question (round 2)" in opening
    view = await view_of(ws, discussion_id)
    assert [(m.kind, m.round) for m in view.messages] == [("question", 1)] + [("answer", 1)] * 3 + [("question", 2)] + [
        ("answer", 2)
    ] * 3


async def test_best_approach_then_implement_saves_the_plan_as_a_note_exactly_once(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    fake_llm.script(MODEL, then=respond(model_answer))
    discussion_id = await begin(ws)
    with pytest.raises(InvalidInput, match="no answer to sum up yet"):
        await act(ws, turns.best_approach, discussion_id)
    await finish_latest(ws, discussion_id)
    with pytest.raises(InvalidInput, match="Ask for the best approach first"):
        await act(ws, turns.implement, discussion_id)

    await act(ws, turns.best_approach, discussion_id)
    synthesis_run = await finish_latest(ws, discussion_id)
    assert synthesis_run.status == RunStatus.SUCCEEDED
    assert all(f"Answer from {n}" in fake_llm.prompts(MODEL)[-1] for n in TEAM)

    await act(ws, turns.implement, discussion_id)
    plan_run = await finish_latest(ws, discussion_id)
    assert plan_run.status == RunStatus.SUCCEEDED
    assert "Best approach: server-side rows" in fake_llm.prompts(MODEL)[-1]

    # The finisher again (a retried job) and a click on "save as note": still one note.
    await finishers.finish(ws.ctx.tenant_id, plan_run.id)
    await execute(ws.ctx.tenant_id, plan_run.id)
    view = await view_of(ws, discussion_id)
    plan = view.messages[-1]
    assert plan.kind == "plan" and plan.note_id
    assert str(await act(ws, plan_note.save_plan, uuid.UUID(plan.id))) == plan.note_id
    async with transaction(ws.ctx.tenant_id) as s:
        saved = list(await s.exec(select(ProjectNote).where(ProjectNote.project_id == ws.project_id)))
    assert len(saved) == 1
    assert saved[0].title == f"Implementation plan: {view.title}"
    assert saved[0].content == "# Plan: server-side sessions\n\n1. Add the session table."
    assert saved[0].created_by == ws.ctx.user_id
    assert view.has_synthesis and [m.kind for m in view.messages][-2:] == ["synthesis", "plan"]


async def test_a_provider_failure_shows_which_provider_failed_and_which_answered(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    await connect_providers(ws.ctx, fake_llm, "openai")
    async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
        await preferences.set_fallback_order(s, ws.ctx, ["openai/gpt-4.1-mini"])
    fake_llm.script(MODEL, fault("credit"), then=respond(model_answer))
    fake_llm.script("gpt-4.1-mini", then=respond(model_answer))
    discussion_id = await begin(ws, names=TEAM[:2])

    assert (await finish_latest(ws, discussion_id)).status == RunStatus.SUCCEEDED

    first = (await view_of(ws, discussion_id)).messages[1]
    assert first.failed_attempts == [f"anthropic/{MODEL}: out of credit"]
    assert first.model == "openai/gpt-4.1-mini" and first.text == "Answer from Mara Okafor: keep it simple."


async def test_a_failed_turn_can_be_retried_and_the_answers_before_it_are_kept(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)

    healed = False

    def picky(prompt: str) -> str:
        if "as Jonas Weber" in prompt and not healed:
            return ""  # an empty answer is never accepted: Jonas's turn fails
        return model_answer(prompt)

    fake_llm.script(MODEL, then=respond(picky))
    discussion_id = await begin(ws)

    assert (await finish_latest(ws, discussion_id)).status == RunStatus.FAILED
    view = await view_of(ws, discussion_id)
    assert [m.status for m in view.messages[1:]] == ["succeeded", "failed", "skipped"]
    assert "empty answer" in view.messages[2].error and view.can_retry

    healed = True
    calls = fake_llm.calls()
    await act(ws, turns.retry, discussion_id)
    assert (await finish_latest(ws, discussion_id)).status == RunStatus.SUCCEEDED
    assert [m.status for m in (await view_of(ws, discussion_id)).messages[1:]] == ["succeeded"] * 3
    assert not any("as Mara Okafor" in p for p in fake_llm.prompts()[calls:])  # Mara was not asked again


async def test_what_people_and_models_write_is_never_evaluated_as_a_template(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    hostile = "Is {{ 7 * 7 }} {% endraw %}{{ steps }}{# x #} {{ ''.__class__ }} safe?"
    fake_llm.script(MODEL, respond(lambda p: "{{ steps.turn_1.output }} {% raw %}"), then=respond(model_answer))
    discussion_id = await begin(ws, question=hostile, names=TEAM[:2])

    assert (await finish_latest(ws, discussion_id)).status == RunStatus.SUCCEEDED
    first, second = fake_llm.prompts(MODEL)
    assert hostile in first and hostile in second
    assert "{{ steps.turn_1.output }} {% raw %}" in second  # the first answer, as written


async def test_starting_a_discussion_checks_its_people_question_and_model(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    other = await tenants.create()
    ids = await team(ws)
    [foreign] = await team(Workspace(other, ws.project_id), ("Lena Fischer",))

    async def create(**kwargs):  # type: ignore[no-untyped-def]
        fields = {"question": QUESTION, "persona_ids": ids} | kwargs
        async with transaction(ws.ctx.tenant_id, ws.ctx.user_id) as s:
            return await turns.create_discussion(s, ws.ctx, ws.project_id, **fields)

    with pytest.raises(InvalidInput, match="between 2 and 5 personas"):
        await create(persona_ids=ids[:1])
    with pytest.raises(InvalidInput, match="between 2 and 5 personas"):
        await create(persona_ids=[*ids, str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())])
    with pytest.raises(NotFound, match="Persona not found"):
        await create(persona_ids=[ids[0], foreign])
    with pytest.raises(InvalidInput, match="The question cannot be empty"):
        await create(question="   ")
    with pytest.raises(InvalidInput, match="openai/gpt-5 is not available to this workspace"):
        await create(model="openai/gpt-5")
    async with transaction(ws.ctx.tenant_id) as s:
        assert list(await s.exec(select(Run))) == []  # nothing was started


async def test_list_rename_and_delete_and_another_tenant_sees_nothing(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    ws = await workspace(tenants, fake_llm, notes_count=0, images=0)
    fake_llm.script(MODEL, then=respond(model_answer))
    discussion_id = await begin(ws)
    [summary] = await act(ws, store.list_discussions, ws.project_id)
    assert (summary.title, summary.speakers, summary.rounds, summary.answering) == (QUESTION, list(TEAM), 1, True)
    await finish_latest(ws, discussion_id)
    [summary] = await act(ws, store.list_discussions, ws.project_id)
    assert not summary.answering and summary.cost_usd > 0

    await act(ws, store.rename_discussion, discussion_id, "Sessions")
    assert (await view_of(ws, discussion_id)).title == "Sessions"

    bob = await tenants.create()
    async with transaction(bob.ctx.tenant_id, bob.ctx.user_id) as s:
        for attempt in (
            views.discussion_view(s, bob.ctx, discussion_id),
            store.rename_discussion(s, bob.ctx, discussion_id, "Mine"),
            store.delete_discussion(s, bob.ctx, discussion_id),
            turns.follow_up(s, bob.ctx, discussion_id, "Hi"),
        ):
            with pytest.raises(NotFound, match="Discussion not found"):
                await attempt

    await act(ws, store.delete_discussion, discussion_id)
    assert await act(ws, store.list_discussions, ws.project_id) == []
    async with transaction(ws.ctx.tenant_id) as s:
        assert list(await s.exec(select(Run))) == []  # its runs went with it
