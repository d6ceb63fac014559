"""Saved workflows: made from templates, saved only when valid, copied, exported and imported."""

from __future__ import annotations

import json

import pytest

from nyx_app.db.session import transaction
from nyx_app.services import projects
from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound
from nyx_app.services.workflows import builtin, store
from nyx_app.services.workflows.store import WorkflowInvalid
from tests.factories import TenantFactory
from tests.fakes.fixtures import connect_providers
from tests.fakes.llm_server import FakeLLM


async def _project(tenants: TenantFactory):  # type: ignore[no-untyped-def]
    acct = await tenants.create()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return acct, (await projects.create_project(s, acct.ctx, "P")).id


async def test_templates_become_workflows_with_free_names(tenants: TenantFactory) -> None:
    acct, pid = await _project(tenants)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        first = await store.create_workflow(s, acct.ctx, pid, template=builtin.FLAGSHIP)
        second = await store.create_workflow(s, acct.ctx, pid, template=builtin.FLAGSHIP)
        copy = await store.duplicate_workflow(s, acct.ctx, first.id)
        listed = await store.list_workflows(s, acct.ctx, pid)
    assert (first.name, second.name, copy.name) == (
        "Image to implementation",
        "Image to implementation (2)",
        "Image to implementation (copy)",
    )
    assert {w.steps for w in listed} == {5} and first.template == builtin.FLAGSHIP


async def test_an_invalid_save_changes_nothing_and_lists_every_problem(
    tenants: TenantFactory, fake_llm: FakeLLM
) -> None:
    acct, pid = await _project(tenants)
    await connect_providers(acct.ctx, fake_llm, "anthropic")
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        wf = await store.create_workflow(s, acct.ctx, pid)
    bad = {"steps": [{"key": "a", "prompt": "{{steps.b.output}}"}, {"key": "b", "prompt": "x", "model": "openai/o3"}]}
    with pytest.raises(WorkflowInvalid) as refused:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await store.save_workflow(s, acct.ctx, wf.id, name="Renamed", description="", definition=bad)
    assert refused.value.message == "The workflow was not saved: 1 problem (marked at the steps they concern)."
    assert [p.step for p in refused.value.problems] == ["b"]
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        again = await store.get_workflow(s, acct.ctx, wf.id)
        problems = await store.check_workflow(s, acct.ctx, bad)
    assert again.name == "New workflow" and again.definition == store.parse_definition(builtin.BLANK).model_dump(
        mode="json"
    )
    assert len(problems) == 1


async def test_a_refused_name_is_said_at_the_name_field(tenants: TenantFactory) -> None:
    acct, pid = await _project(tenants)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        first = await store.create_workflow(s, acct.ctx, pid)
        second = await store.create_workflow(s, acct.ctx, pid)
    definition = first.definition
    with pytest.raises(InvalidFields) as empty:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await store.save_workflow(s, acct.ctx, second.id, name=" ", description="", definition=definition)
    assert list(empty.value.fields) == ["name"]
    with pytest.raises(InvalidFields) as taken:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await store.save_workflow(s, acct.ctx, second.id, name=first.name, description="", definition=definition)
    assert taken.value.fields == {
        "name": "This project already has a workflow named 'New workflow'. Choose another name."
    }


async def test_export_then_import_gives_the_same_definition(tenants: TenantFactory) -> None:
    acct, pid = await _project(tenants)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        wf = await store.create_workflow(s, acct.ctx, pid, template=builtin.ANALYSE_REVIEW)
        exported = store.export_json(wf)
        imported = await store.import_workflow(s, acct.ctx, pid, exported)
    assert imported.definition == wf.definition and imported.name == "Analyse → review → generate prompt (2)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "That is not a workflow export: it is not valid JSON."),
        ('{"steps": []}', "That is not a nyxCore workflow export (its format field is missing or different)."),
        ("x" * 600_000, "That file is too large for a workflow (at most 500,000 characters)."),
        # RecursionError in the JSON parser, then a depth the parser accepts but no export has.
        ("[" * 100_000 + "]" * 100_000, "That is not a workflow export: it is nested more than 200 levels deep."),
        (
            '{"a":' * 80_000 + "1" + "}" * 80_000,
            "That is not a workflow export: it is nested more than 200 levels deep.",
        ),
        ("[" * 500 + "]" * 500, "That is not a workflow export: it is nested more than 200 levels deep."),
    ],
)
async def test_import_refuses_what_is_not_an_export(tenants: TenantFactory, text: str, message: str) -> None:
    acct, pid = await _project(tenants)
    with pytest.raises(InvalidInput, match="^" + __import__("re").escape(message) + "$"):
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await store.import_workflow(s, acct.ctx, pid, text)


async def test_an_import_with_a_cycle_is_refused_per_step(tenants: TenantFactory) -> None:
    acct, pid = await _project(tenants)
    payload = {
        "format": store.EXPORT_FORMAT,
        "name": "Loop",
        "definition": {
            "steps": [{"key": "a", "prompt": "{{steps.b.output}}"}, {"key": "b", "prompt": "{{steps.a.output}}"}]
        },
    }
    with pytest.raises(WorkflowInvalid) as refused:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await store.import_workflow(s, acct.ctx, pid, json.dumps(payload))
    assert refused.value.problems[0].message == "These steps wait for each other in a circle: a → b → a."


def _export(*steps: dict[str, object], schema_text: str = "") -> str:
    """An export; ``schema_text`` (JSON) replaces a step's output schema "@" (too deep for json.dumps)."""
    text = json.dumps({"format": store.EXPORT_FORMAT, "name": "Hostile", "definition": {"steps": list(steps)}})
    return text.replace('"@"', schema_text) if schema_text else text


def _nested(levels: int) -> dict[str, object]:
    root: dict[str, object] = {}
    node = root
    for _ in range(levels):
        node["not"] = node = {}
    return root


@pytest.mark.parametrize(
    ("step", "says"),
    [
        (
            {"key": "a", "prompt": "{{ notes|attr('x') }}"},
            "In the prompt: Template error on line 1: No filter named 'attr'.",
        ),
        ({"key": "a", "prompt": "{{" + "(" * 2000 + "1" + ")" * 2000 + "}}"}, "nested too deeply"),
        (
            {"key": "a", "prompt": "x", "output": "json_object", "output_schema": _nested(40)},
            "Output schema: Nested more than 32 levels deep: flatten it",
        ),
        (
            {"key": "a", "prompt": "x", "output": "json_object", "output_schema": {"$ref": "file:///etc/passwd"}},
            "Output schema: $ref (at the top) may only point inside this schema (#/…), not to 'file:///etc/passwd'",
        ),
    ],
)
async def test_an_import_with_hostile_steps_is_refused_at_the_step_in_words(
    tenants: TenantFactory, step: dict[str, object], says: str
) -> None:
    acct, pid = await _project(tenants)
    with pytest.raises(WorkflowInvalid) as refused:
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await store.import_workflow(s, acct.ctx, pid, _export(step))
    assert [p.step for p in refused.value.problems] == ["a"]
    assert says in refused.value.problems[0].message


async def test_a_schema_3000_deep_in_an_import_is_refused_in_words(tenants: TenantFactory) -> None:
    acct, pid = await _project(tenants)
    step = {"key": "a", "prompt": "x", "output": "json_object", "output_schema": "@"}
    with pytest.raises(InvalidInput, match="nested more than 200 levels deep"):
        async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
            await store.import_workflow(
                s, acct.ctx, pid, _export(step, schema_text='{"not":' * 3000 + "{" + "}" * 3001)
            )


async def test_another_tenants_workflow_is_not_found(tenants: TenantFactory) -> None:
    acct, pid = await _project(tenants)
    other = await tenants.create()
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        wf = await store.create_workflow(s, acct.ctx, pid)
    for action in (
        lambda s: store.get_workflow(s, other.ctx, wf.id),
        lambda s: store.duplicate_workflow(s, other.ctx, wf.id),
        lambda s: store.delete_workflow(s, other.ctx, wf.id),
        lambda s: store.create_workflow(s, other.ctx, pid),
    ):
        with pytest.raises(NotFound):
            async with transaction(other.ctx.tenant_id, other.ctx.user_id) as s:
                await action(s)
