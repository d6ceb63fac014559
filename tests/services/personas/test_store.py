"""Personas through the service: the starter team, create/edit with auto-specialization only
when none are given, duplicate, delete, and another tenant's persona answers "not found"."""

from __future__ import annotations

import uuid

import pytest

from nyx_app.db.session import transaction
from nyx_app.services.errors import InvalidFields, InvalidInput, NotFound
from nyx_app.services.personas import store
from nyx_app.services.personas.starters import STARTERS
from nyx_app.services.personas.store import PersonaInput
from tests.factories import Account, TenantFactory

SECURITY = (
    "Reviews code for XSS, CSRF and SQL injection; checks authentication on every endpoint against the OWASP list."
)


async def listed(acct: Account) -> dict[str, store.PersonaView]:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return {p.name: p for p in await store.list_personas(s, acct.ctx)}


async def create(acct: Account, data: PersonaInput) -> store.PersonaView:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return store.view(await store.create_persona(s, acct.ctx, data))


async def update(acct: Account, persona_id: str, data: PersonaInput) -> store.PersonaView:
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        return store.view(await store.update_persona(s, acct.ctx, persona_id, data))


async def test_a_new_workspace_starts_with_a_team_it_may_delete(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    team = await listed(acct)
    assert set(team) == {s.name for s in STARTERS}
    reviewer = team["Mara Okafor"]
    assert reviewer.role == "Security reviewer"
    assert reviewer.specializations[0] == "Security" and len(reviewer.specializations) == 3
    assert reviewer.evidence[0].startswith("Security: ") and "xss" in reviewer.evidence[0]
    assert (reviewer.level, reviewer.xp, reviewer.uses, reviewer.success_rate) == (1, 0, 0, None)
    assert reviewer.avatar.startswith("data:image/svg+xml;base64,") and reviewer.portrait_tag == ""

    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        await store.delete_persona(s, acct.ctx, reviewer.id)
    assert "Mara Okafor" not in await listed(acct)


async def test_without_specializations_the_top_three_are_filled_in_with_their_keywords(
    tenants: TenantFactory,
) -> None:
    acct = await tenants.create()
    made = await create(
        acct,
        PersonaInput(
            "Vera",
            "AppSec lead",
            description=SECURITY,
            system_prompt="Propose fixes with a test; mind the PostgreSQL schema.",
            traits="direct, direct, kind",
        ),
    )
    # Backend and Testing tie at one keyword each ("endpoint", "test"): the earlier category wins.
    assert made.specializations == ["Security", "Databases", "Backend"]
    assert made.evidence == [
        "Security: authentication, csrf, injection, owasp, xss",
        "Databases: postgresql, schema, sql",
        "Backend: endpoint",
    ]
    assert made.traits == ["direct", "kind"]  # duplicates dropped


async def test_given_specializations_are_kept_and_the_extractor_runs_only_when_they_are_empty(
    tenants: TenantFactory,
) -> None:
    acct = await tenants.create()
    chosen = await create(acct, PersonaInput("Kai", description=SECURITY, specializations="Threat modelling, Audits"))
    assert chosen.specializations == ["Threat modelling", "Audits"] and chosen.evidence == []

    # Saved again with the same choice: kept. Emptied: the extractor fills them in.
    same = await update(
        acct, chosen.id, PersonaInput("Kai", description=SECURITY, specializations=["Threat modelling", "Audits"])
    )
    assert same.specializations == ["Threat modelling", "Audits"]
    emptied = await update(acct, chosen.id, PersonaInput("Kai", description=SECURITY, specializations=""))
    assert emptied.specializations[0] == "Security" and emptied.evidence

    # Saving the automatic result unchanged keeps its evidence; editing it makes it the user's own.
    kept = await update(
        acct, chosen.id, PersonaInput("Kai", description=SECURITY, specializations=emptied.specializations)
    )
    assert kept.evidence == emptied.evidence
    edited = await update(acct, chosen.id, PersonaInput("Kai", description=SECURITY, specializations="Security"))
    assert edited.specializations == ["Security"] and edited.evidence == []


async def test_a_persona_with_no_keyword_gets_no_specialization(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    plain = await create(acct, PersonaInput("Grandma", description="Tells lovely stories about the old days."))
    assert plain.specializations == [] and plain.evidence == []


async def test_names_are_unique_and_inputs_are_checked(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    with pytest.raises(InvalidInput, match="already a persona named 'Mara Okafor'"):
        await create(acct, PersonaInput("Mara Okafor"))
    with pytest.raises(InvalidInput, match="Name cannot be empty"):
        await create(acct, PersonaInput("  "))
    with pytest.raises(InvalidInput, match="At most 8 traits"):
        await create(acct, PersonaInput("Many", traits=",".join(f"t{i}" for i in range(9))))
    with pytest.raises(InvalidInput, match="invisible character"):
        await create(acct, PersonaInput("Zero\u200bWidth"))


async def test_every_refused_field_is_named_so_the_editor_shows_it_there(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    with pytest.raises(InvalidFields) as refused:
        await create(acct, PersonaInput(" ", traits=",".join(f"t{i}" for i in range(9))))
    assert set(refused.value.fields) == {"name", "traits"}
    with pytest.raises(InvalidFields) as taken:
        await create(acct, PersonaInput("Mara Okafor"))
    assert taken.value.fields == {"name": "There is already a persona named 'Mara Okafor'. Choose another name."}


async def test_duplicate_copies_the_texts_under_a_free_name_without_the_experience(tenants: TenantFactory) -> None:
    acct = await tenants.create()
    original = (await listed(acct))["Priya Raman"]
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        persona = await store.get_persona(s, acct.ctx, original.id)
        persona.xp, persona.uses, persona.successes = 250, 25, 20
        s.add(persona)
    async with transaction(acct.ctx.tenant_id, acct.ctx.user_id) as s:
        first = store.view(await store.duplicate_persona(s, acct.ctx, original.id))
        second = store.view(await store.duplicate_persona(s, acct.ctx, original.id))
    assert (first.name, second.name) == ("Priya Raman (copy)", "Priya Raman (copy) (2)")
    assert first.system_prompt == original.system_prompt and first.specializations == original.specializations
    assert (first.xp, first.uses, first.level) == (0, 0, 1)


async def test_another_tenants_persona_is_not_found(tenants: TenantFactory) -> None:
    alice, bob = await tenants.create(), await tenants.create()
    theirs = (await listed(alice))["Lena Fischer"]
    async with transaction(bob.ctx.tenant_id, bob.ctx.user_id) as s:
        for attempt in (
            store.get_persona(s, bob.ctx, theirs.id),
            store.update_persona(s, bob.ctx, theirs.id, PersonaInput("Stolen")),
            store.duplicate_persona(s, bob.ctx, theirs.id),
            store.delete_persona(s, bob.ctx, theirs.id),
            store.get_persona(s, bob.ctx, str(uuid.uuid4())),
            store.get_persona(s, bob.ctx, "not-an-id"),
        ):
            with pytest.raises(NotFound, match="Persona not found"):
                await attempt
    assert (await listed(alice))["Lena Fischer"].name == "Lena Fischer"
