"""The permission table, row by row, and the services that apply it.

``EXPECTED`` is written out again here on purpose: changing a row of the policy must fail a test
until someone changes it here too, knowingly.
"""

from __future__ import annotations

import uuid

import pytest

from nyx_app.db.session import transaction
from nyx_app.models.tenancy import Role
from nyx_app.services import members, memory, note_images, notes, projects
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotAllowed
from nyx_app.services.llm import credentials, preferences
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.permissions import DOING, PERMISSIONS, Action, may, refusal, require, role_may
from nyx_app.services.personas import store as persona_store
from nyx_app.services.personas.store import PersonaInput
from nyx_app.services.workflows import builtin
from nyx_app.services.workflows import store as wf_store
from tests.factories import PASSWORD, Account, TenantFactory
from tests.fakes import images as corpus

OWN, ADM, MEM = "owner", "admin", "member"
# fmt: off
EXPECTED: dict[Action, set[str]] = {
    Action.PROJECT_CREATE:        {OWN, ADM, MEM},
    Action.PROJECT_EDIT:          {OWN, ADM, MEM},
    Action.PROJECT_PUBLISH:       {OWN, ADM},
    Action.PROJECT_DELETE:        {OWN, ADM},
    Action.NOTE_CREATE:           {OWN, ADM, MEM},
    Action.NOTE_EDIT:             {OWN, ADM, MEM},
    Action.NOTE_DELETE:           {OWN, ADM},
    Action.NOTE_DELETE_OWN:       {OWN, ADM, MEM},
    Action.NOTE_PUBLISH:          {OWN, ADM},
    Action.IMAGE_UPLOAD:          {OWN, ADM, MEM},
    Action.IMAGE_EDIT:            {OWN, ADM, MEM},
    Action.IMAGE_DELETE:          {OWN, ADM},
    Action.IMAGE_DELETE_OWN:      {OWN, ADM, MEM},
    Action.MEMORY_CREATE:         {OWN, ADM, MEM},
    Action.MEMORY_EDIT:           {OWN, ADM, MEM},
    Action.MEMORY_DELETE:         {OWN, ADM},
    Action.MEMORY_DELETE_OWN:     {OWN, ADM, MEM},
    Action.MEMBERS_MANAGE:        {OWN, ADM},
    Action.ROLES_CHANGE:          {OWN, ADM},
    Action.OWNERS_MANAGE:         {OWN},
    Action.PROVIDER_KEYS_MANAGE:  {OWN, ADM},
    Action.BUDGET_MANAGE:         {OWN, ADM},
    Action.FALLBACK_CHAIN_MANAGE: {OWN, ADM},
    Action.WORKSPACE_RENAME:      {OWN},
    Action.WORKSPACE_DELETE:      {OWN},
    Action.WORKFLOW_EDIT:         {OWN, ADM, MEM},
    Action.WORKFLOW_DELETE:       {OWN, ADM},
    Action.WORKFLOW_DELETE_OWN:   {OWN, ADM, MEM},
    Action.RUN_START:             {OWN, ADM, MEM},
    Action.RUN_CANCEL:            {OWN, ADM, MEM},
    Action.REVIEW:                {OWN, ADM, MEM},
    Action.PERSONA_EDIT:          {OWN, ADM, MEM},
    Action.PERSONA_DELETE:        {OWN, ADM},
    Action.PERSONA_DELETE_OWN:    {OWN, ADM, MEM},
    Action.REPORT_GENERATE:       {OWN, ADM, MEM},
    Action.REPORT_EDIT:           {OWN, ADM, MEM},
    Action.REPORT_DELETE:         {OWN, ADM},
    Action.REPORT_DELETE_OWN:     {OWN, ADM, MEM},
    Action.REPORT_PUBLISH:        {OWN, ADM},
    Action.AUDIT_READ:            {OWN, ADM},
    Action.WORKSPACE_TOKENS_MANAGE: {OWN, ADM},
    Action.WEBHOOKS_MANAGE:       {OWN, ADM},
    Action.TRASH_EMPTY:           {OWN, ADM},
    Action.INSIGHT_EDIT:          {OWN, ADM},
    Action.INSIGHT_EDIT_OWN:      {OWN, ADM, MEM},
    Action.POLICY_UPLOAD:         {OWN, ADM, MEM},
    Action.POLICY_DELETE:         {OWN, ADM},
    Action.POLICY_DELETE_OWN:     {OWN, ADM, MEM},
}
# fmt: on


def _ctx(role: Role, user_id: uuid.UUID | None = None) -> TenantContext:
    return TenantContext(uuid.uuid4(), user_id or uuid.uuid4(), role)


def test_every_action_has_a_row_here_and_a_phrase_for_its_refusal() -> None:
    assert set(EXPECTED) == set(Action) == set(PERMISSIONS) == set(DOING)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("action", list(Action), ids=str)
def test_each_row_of_the_table(action: Action, role: Role) -> None:
    expected = role.value in EXPECTED[action]
    assert role_may(role, action) is expected
    assert _ctx(role).may(action) is expected
    if expected:
        require(_ctx(role), action)
    else:
        with pytest.raises(NotAllowed) as refused:
            require(_ctx(role), action)
        assert refused.value.message == refusal(action)


def test_owners_may_do_everything_and_admins_all_but_the_workspace_and_owners() -> None:
    assert all(role_may(Role.OWNER, a) for a in Action)
    assert {a for a in Action if not role_may(Role.ADMIN, a)} == {
        Action.OWNERS_MANAGE,
        Action.WORKSPACE_RENAME,
        Action.WORKSPACE_DELETE,
    }


def test_refusals_say_who_may_in_words() -> None:
    assert refusal(Action.PROJECT_DELETE) == "Only owners and admins can delete projects."
    assert refusal(Action.WORKSPACE_DELETE) == "Only owners can delete the workspace."
    assert refusal(Action.NOTE_DELETE) == "Only owners and admins can delete other people's notes."


def test_unknown_or_missing_role_may_do_nothing() -> None:
    assert not role_may("", Action.PROJECT_CREATE)
    assert not role_may("superuser", Action.PROJECT_CREATE)


@pytest.mark.parametrize(
    "action",
    [Action.NOTE_DELETE, Action.IMAGE_DELETE, Action.MEMORY_DELETE, Action.WORKFLOW_DELETE, Action.PERSONA_DELETE],
    ids=str,
)
def test_a_member_may_delete_what_they_created_but_not_other_peoples(action: Action) -> None:
    me = uuid.uuid4()
    member = _ctx(Role.MEMBER, me)
    assert may(member, action, author_id=me)
    assert not may(member, action, author_id=uuid.uuid4())
    assert not may(member, action, author_id=None)  # author unknown (account deleted): not theirs
    assert may(_ctx(Role.ADMIN), action, author_id=uuid.uuid4())


def test_the_own_rule_applies_only_to_actions_that_have_one() -> None:
    me = uuid.uuid4()
    assert not may(_ctx(Role.MEMBER, me), Action.PROJECT_DELETE, author_id=me)


# --- the services apply the table -------------------------------------------------------------


async def _in(a: Account, action):  # type: ignore[no-untyped-def]
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await action(s, a.ctx)


async def _project_names(a: Account) -> list[str]:
    return [p.name for p in await _in(a, projects.list_projects)]


async def test_a_member_cannot_delete_the_owners_project_and_it_is_still_there(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    project = await _in(owner, lambda s, c: projects.create_project(s, c, "Crown jewels"))
    with pytest.raises(NotAllowed, match="Only owners and admins can delete projects"):
        await _in(member, lambda s, c: projects.delete_project(s, c, project.id))
    assert await _project_names(owner) == ["Crown jewels"]


async def test_a_member_cannot_delete_even_a_project_they_created(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    project = await _in(member, lambda s, c: projects.create_project(s, c, "Mine"))
    with pytest.raises(NotAllowed):
        await _in(member, lambda s, c: projects.delete_project(s, c, project.id))
    assert await _project_names(owner) == ["Mine"]


async def test_an_admin_deletes_projects(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    admin = await tenants.join(owner, Role.ADMIN)
    project = await _in(owner, lambda s, c: projects.create_project(s, c, "Old"))
    await _in(admin, lambda s, c: projects.delete_project(s, c, project.id))
    assert await _project_names(owner) == []


async def test_a_member_creates_and_edits_projects_but_does_not_publish(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    project = await _in(member, lambda s, c: projects.create_project(s, c, "Draft"))
    await _in(member, lambda s, c: projects.update_project(s, c, project.id, name="Draft 2", description="more"))
    with pytest.raises(NotAllowed, match="publish"):
        await _in(member, lambda s, c: projects.update_project(s, c, project.id, published=True))
    shown = await _in(owner, lambda s, c: projects.get_project(s, c, project.id))
    assert (shown.name, shown.description, shown.published) == ("Draft 2", "more", False)


async def test_notes_a_member_deletes_their_own_but_not_the_owners(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    project = await _in(owner, lambda s, c: projects.create_project(s, c, "Shared"))
    owners = await _in(owner, lambda s, c: notes.create_note(s, c, project.id, "Owner's plan"))
    mine = await _in(member, lambda s, c: notes.create_note(s, c, project.id, "Member's draft"))
    await _in(member, lambda s, c: notes.save_note(s, c, owners.id, title="Edited", content="x", base_version=1))
    with pytest.raises(NotAllowed, match="delete other people's notes"):
        await _in(member, lambda s, c: notes.delete_note(s, c, owners.id))
    await _in(member, lambda s, c: notes.delete_note(s, c, mine.id))
    assert [n.title for n in await _in(owner, lambda s, c: notes.list_notes(s, c, project.id))] == ["Edited"]


async def test_memory_a_member_deletes_their_own_entries_only(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    owners = await _in(owner, lambda s, c: memory.create_entry(s, c, title="Owner's", content=""))
    mine = await _in(member, lambda s, c: memory.create_entry(s, c, title="Member's", content=""))
    edit = {"title": "Edited", "content": "", "tags": "", "project_id": None}
    await _in(member, lambda s, c: memory.update_entry(s, c, owners.id, **edit))
    with pytest.raises(NotAllowed, match="delete other people's memories"):
        await _in(member, lambda s, c: memory.delete_entry(s, c, owners.id))
    await _in(member, lambda s, c: memory.delete_entry(s, c, mine.id))
    assert [e.title for e in await _in(owner, lambda s, c: memory.search(s, c, ""))] == ["Edited"]


async def test_workflows_a_member_deletes_their_own_only_and_sees_no_button_for_others(
    tenants: TenantFactory,
) -> None:
    owner = await tenants.create()
    member, admin = await tenants.join(owner), await tenants.join(owner, Role.ADMIN)
    project = await _in(owner, lambda s, c: projects.create_project(s, c, "Shared"))
    owners = await _in(owner, lambda s, c: wf_store.create_workflow(s, c, project.id, template=builtin.FLAGSHIP))
    mine = await _in(member, lambda s, c: wf_store.create_workflow(s, c, project.id))
    listed = {w.name: w.may_delete for w in await _in(member, lambda s, c: wf_store.list_workflows(s, c, project.id))}
    assert listed == {owners.name: False, mine.name: True}
    with pytest.raises(NotAllowed, match=r"^Only owners and admins can delete other people's workflows\.$"):
        await _in(member, lambda s, c: wf_store.delete_workflow(s, c, owners.id))
    await _in(member, lambda s, c: wf_store.delete_workflow(s, c, mine.id))
    assert [w.name for w in await _in(owner, lambda s, c: wf_store.list_workflows(s, c, project.id))] == [owners.name]
    theirs = await _in(member, lambda s, c: wf_store.create_workflow(s, c, project.id))
    assert all(w.may_delete for w in await _in(admin, lambda s, c: wf_store.list_workflows(s, c, project.id)))
    await _in(admin, lambda s, c: wf_store.delete_workflow(s, c, theirs.id))
    await _in(admin, lambda s, c: wf_store.delete_workflow(s, c, owners.id))


async def test_personas_a_member_deletes_their_own_only_and_not_the_starters(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    data = PersonaInput("Reviewer", "Security reviewer", "Finds holes", "You review.", "careful", "Security")
    owners = await _in(owner, lambda s, c: persona_store.create_persona(s, c, data))
    mine = await _in(member, lambda s, c: persona_store.create_persona(s, c, PersonaInput("Mine", "", "", "", "", "")))
    listed = {p.name: p.may_delete for p in await _in(member, persona_store.list_personas)}
    assert listed["Reviewer"] is False and listed["Mine"] is True
    starters = [name for name, allowed in listed.items() if name not in ("Reviewer", "Mine")]
    assert starters and not any(listed[name] for name in starters)  # made by nobody: owners and admins only
    with pytest.raises(NotAllowed, match="delete other people's personas"):
        await _in(member, lambda s, c: persona_store.delete_persona(s, c, owners.id))
    await _in(member, lambda s, c: persona_store.delete_persona(s, c, mine.id))
    names = [p.name for p in await _in(owner, persona_store.list_personas)]
    assert "Reviewer" in names and "Mine" not in names
    assert all(p.may_delete for p in await _in(owner, persona_store.list_personas))
    await _in(owner, lambda s, c: persona_store.delete_persona(s, c, owners.id))


async def test_images_follow_their_note_a_member_removes_them_only_from_their_own_notes(
    tenants: TenantFactory, local_storage: object
) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    project = await _in(owner, lambda s, c: projects.create_project(s, c, "Gallery"))
    owners = await _in(owner, lambda s, c: notes.create_note(s, c, project.id, "Owner's"))
    mine = await _in(member, lambda s, c: notes.create_note(s, c, project.id, "Member's"))
    png = IncomingFile("a.png", corpus.image_bytes("PNG"))
    # A member uploads to any note and describes any image...
    on_owners = (await _in(member, lambda s, c: note_images.add_images(s, c, owners.id, [png])))[0].image
    on_mine = (await _in(member, lambda s, c: note_images.add_images(s, c, mine.id, [png])))[0].image
    assert on_owners is not None and on_mine is not None
    await _in(member, lambda s, c: note_images.update_description(s, c, on_owners.id, "Login screen"))
    # ...but removes images only from notes they created.
    with pytest.raises(NotAllowed, match="remove images from other people's notes"):
        await _in(member, lambda s, c: note_images.remove_image(s, c, on_owners.id))
    await _in(member, lambda s, c: note_images.remove_image(s, c, on_mine.id))
    assert [i.description for i in await _in(owner, lambda s, c: note_images.list_images(s, c, owners.id))] == [
        "Login screen"
    ]
    assert await _in(owner, lambda s, c: note_images.list_images(s, c, mine.id)) == []


async def test_members_keys_budget_and_chain_are_for_owners_and_admins(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    member = await tenants.join(owner)
    admin = await tenants.join(owner, Role.ADMIN)
    refused = [
        lambda s, c: members.add_member(s, c, "x@example.test", PASSWORD, "X", "member"),
        lambda s, c: credentials.save_key(s, c, "openai", "sk-test-1234"),
        lambda s, c: credentials.save_endpoint(s, c, "local", "https://llm.example.com/v1", "m1"),
        lambda s, c: preferences.set_budget(s, c, "10"),
        lambda s, c: preferences.set_fallback_order(s, c, ["openai/gpt-4.1-mini"]),
    ]
    for attempt in refused:
        with pytest.raises(NotAllowed, match="Only owners and admins can"):
            await _in(member, attempt)
    for attempt in refused:
        await _in(admin, attempt)


async def test_only_an_owner_removes_an_owner(tenants: TenantFactory) -> None:
    owner = await tenants.create()
    co_owner = await tenants.join(owner, Role.OWNER)
    admin = await tenants.join(owner, Role.ADMIN)
    with pytest.raises(NotAllowed, match="Only owners can add, remove or change owners"):
        await _in(admin, lambda s, c: members.remove_member(s, c, co_owner.ctx.user_id))
    await _in(owner, lambda s, c: members.remove_member(s, c, co_owner.ctx.user_id))
    listed = {m.email for m in await _in(owner, members.list_members)}
    assert listed == {owner.email, admin.email}
