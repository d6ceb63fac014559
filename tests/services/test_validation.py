"""Input hygiene: names without bidi controls or invisible characters, no NUL anywhere, and one
spelling per e-mail address. Each refusal names the field, and nothing is written."""

from __future__ import annotations

import re

import pytest

from nyx_app.db.session import transaction
from nyx_app.services import auth, memory, note_images, notes, projects
from nyx_app.services.errors import InvalidInput
from nyx_app.services.llm import credentials
from nyx_app.services.note_images import IncomingFile
from nyx_app.services.validation import TextKind, check_text, optional_text, required_text
from tests.factories import PASSWORD, Account, TenantFactory
from tests.fakes import images as corpus

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
BIDI += ["\u061c"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\U000e0041", "\u3164", "\u2028"]


def _hex(ch: str) -> str:
    return f"U+{ord(ch):04X}"


@pytest.mark.parametrize("ch", BIDI, ids=_hex)
def test_names_refuse_every_bidi_control_naming_the_field(ch: str) -> None:
    expected = f"Project name contains a hidden text-direction character ({_hex(ch)}"
    with pytest.raises(InvalidInput, match="^" + re.escape(expected)):
        required_text(f"invoice{ch}fdp.exe", "Project name", 120)


@pytest.mark.parametrize("ch", INVISIBLE, ids=_hex)
def test_names_refuse_zero_width_and_other_invisible_characters(ch: str) -> None:
    expected = f"Note title contains an invisible character ({_hex(ch)}"
    with pytest.raises(InvalidInput, match="^" + re.escape(expected)):
        required_text(f"ad{ch}min", "Note title", 200)


def test_a_name_made_only_of_invisible_characters_is_refused_not_saved_as_blank() -> None:
    with pytest.raises(InvalidInput, match="invisible character"):
        required_text("\u200b\u200b", "Name", 120)


@pytest.mark.parametrize("kind", list(TextKind), ids=str)
def test_nul_is_refused_in_every_kind_of_text(kind: TextKind) -> None:
    with pytest.raises(InvalidInput, match=r"^Description contains a NUL character \(U\+0000\)"):
        optional_text("a\x00b", "Description", 100, kind=kind)
    with pytest.raises(InvalidInput, match="broken character"):
        check_text("lone \ud800 surrogate", "Description", kind)


def test_names_refuse_control_characters_such_as_line_breaks() -> None:
    with pytest.raises(InvalidInput, match="cannot contain line breaks"):
        required_text("two\nlines", "Project name", 120)


def test_prose_keeps_what_people_write_rtl_marks_emoji_joiners_and_lines() -> None:
    text = "שלום\u200f world\n👩\u200d💻 done\tok"
    assert check_text(text, "Content", TextKind.PROSE) == text


def test_ordinary_names_pass_in_any_script() -> None:
    for name in ("Apollo", "Übersicht café", "日本語のメモ", "مشروع", "🚀 launch"):
        assert required_text(f"  {name} ", "Project name", 120) == name


# --- every place text enters the services --------------------------------------------------------


async def _in(a: Account, action):  # type: ignore[no-untyped-def]
    async with transaction(a.ctx.tenant_id, a.ctx.user_id) as s:
        return await action(s, a.ctx)


async def test_projects_refuse_bidi_names_and_nul_descriptions_and_write_nothing(tenants: TenantFactory) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidInput, match="Project name contains a hidden text-direction character"):
        await _in(a, lambda s, c: projects.create_project(s, c, "Budget\u202eslx.exe"))
    with pytest.raises(InvalidInput, match="Description contains a NUL"):
        await _in(a, lambda s, c: projects.create_project(s, c, "Fine", "bad\x00"))
    assert await _in(a, projects.list_projects) == []
    project = await _in(a, lambda s, c: projects.create_project(s, c, "Fine"))
    with pytest.raises(InvalidInput, match="GitHub URL contains a NUL"):
        await _in(a, lambda s, c: projects.update_project(s, c, project.id, github_url="https://github.com/a/b\x00"))
    with pytest.raises(InvalidInput, match="Scan path contains a hidden text-direction character"):
        await _in(a, lambda s, c: projects.update_project(s, c, project.id, github_path="src/\u202etxt.exe"))
    shown = await _in(a, lambda s, c: projects.get_project(s, c, project.id))
    assert (shown.name, shown.description, shown.github_url, shown.github_path) == ("Fine", "", "", "")


async def test_notes_refuse_nul_in_title_and_content(tenants: TenantFactory) -> None:
    a = await tenants.create()
    project = await _in(a, lambda s, c: projects.create_project(s, c, "P"))
    with pytest.raises(InvalidInput, match="Note title contains a NUL"):
        await _in(a, lambda s, c: notes.create_note(s, c, project.id, "a\x00", ""))
    with pytest.raises(InvalidInput, match="The note contains a NUL"):
        await _in(a, lambda s, c: notes.create_note(s, c, project.id, "ok", "body\x00"))
    note = await _in(a, lambda s, c: notes.create_note(s, c, project.id, "ok", "body"))
    with pytest.raises(InvalidInput, match="The note contains a NUL"):
        await _in(a, lambda s, c: notes.save_note(s, c, note.id, title="ok", content="x\x00", base_version=1))
    assert [(n.title, n.content) for n in await _in(a, lambda s, c: notes.list_notes(s, c, project.id))] == [
        ("ok", "body")
    ]


async def test_memory_refuses_nul_in_content_search_and_tags_and_bidi_in_tags(tenants: TenantFactory) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidInput, match="Content contains a NUL"):
        await _in(a, lambda s, c: memory.create_entry(s, c, title="t", content="x\x00y"))
    with pytest.raises(InvalidInput, match="A tag contains a NUL"):
        await _in(a, lambda s, c: memory.create_entry(s, c, title="t", content="", tags="ops, de\x00ploy"))
    with pytest.raises(InvalidInput, match="A tag contains a hidden text-direction character"):
        await _in(a, lambda s, c: memory.create_entry(s, c, title="t", content="", tags="\u202eops"))
    with pytest.raises(InvalidInput, match="The search contains a NUL"):
        await _in(a, lambda s, c: memory.search(s, c, "deploy\x00"))
    # Nothing was written, and the search works again at once.
    assert await _in(a, lambda s, c: memory.search(s, c, "")) == []


async def test_image_descriptions_refuse_nul(tenants: TenantFactory, local_storage: object) -> None:
    a = await tenants.create()
    project = await _in(a, lambda s, c: projects.create_project(s, c, "P"))
    note = await _in(a, lambda s, c: notes.create_note(s, c, project.id, "N"))
    png = IncomingFile("a.png", corpus.image_bytes("PNG"))
    image = (await _in(a, lambda s, c: note_images.add_images(s, c, note.id, [png])))[0].image
    assert image is not None
    with pytest.raises(InvalidInput, match="Description contains a NUL"):
        await _in(a, lambda s, c: note_images.update_description(s, c, image.id, "x\x00"))


@pytest.mark.parametrize(
    ("name", "url", "models", "key", "message"),
    [
        ("lo\x00cal", "https://llm.example.com/v1", "m", "", "Endpoint name contains a NUL"),
        ("local", "https://llm.example.com/v1\x00", "m", "", "Base URL contains a NUL"),
        ("local", "https://llm.example.com/v1", "llama\x00", "", "A model id contains a NUL"),
        ("local", "https://llm.example.com/v1", "m", "sk-\x00", "The API key contains a NUL"),
        ("lo\u200bcal", "https://llm.example.com/v1", "m", "", "Endpoint name contains an invisible character"),
    ],
    ids=["name", "url", "model", "key", "zero-width-name"],
)
async def test_provider_endpoint_fields_refuse_nul(tenants: TenantFactory, name, url, models, key, message) -> None:
    a = await tenants.create()
    with pytest.raises(InvalidInput, match=message):
        await _in(a, lambda s, c: credentials.save_endpoint(s, c, name, url, models, key))
    assert await _in(a, credentials.list_providers) == []


# --- accounts: names and e-mails ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "workspace", "message"),
    [
        ("Mallory\u202e", "Team", "Name contains a hidden text-direction character"),
        ("Ad\u200bmin", "Team", "Name contains an invisible character"),
        ("Eve", "Te\u2066am", "Workspace name contains a hidden text-direction character"),
        ("Eve", "Te\x00am", "Workspace name contains a NUL"),
    ],
)
async def test_registration_refuses_spoofing_names(db, name: str, workspace: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        await auth.register("eve@example.test", PASSWORD, name, workspace)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ada@Example.TEST ", "ada@example.test"),
        ("\uff41\uff44\uff41@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.test", "ada@example.test"),  # full-width
        ("ada\uff20example\uff0etest", "ada@example.test"),  # full-width @ and .
        ("Jos\u0065\u0301@example.test", "jos\u00e9@example.test"),  # e + combining accent -> é
    ],
    ids=["case", "full-width-letters", "full-width-at-and-dot", "combining-accent"],
)
def test_emails_are_nfkc_normalised_and_lower_cased(typed: str, stored: str) -> None:
    assert auth.normalise_email(typed) == stored


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("ada\u202e@example.test", "hidden text-direction character"),
        ("a\u200bda@example.test", "invisible character"),
        ("ada@exam\u200dple.test", "invisible character"),
        ("ada\x00@example.test", "NUL"),
        ("ada@example", "does not look like an e-mail address"),
        ("ada@@example.test", "does not look like an e-mail address"),
        ("ada example@example.test", "does not look like an e-mail address"),
    ],
)
def test_spoofed_or_malformed_emails_are_refused(email: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        auth.normalise_email(email)


async def test_a_look_alike_email_cannot_register_twice(tenants: TenantFactory) -> None:
    account = await tenants.create()
    local, domain = account.email.split("@")
    full_width = "".join(chr(ord(ch) + 0xFEE0) if ch.isalnum() else ch for ch in local.upper())
    with pytest.raises(InvalidInput, match="already exists"):
        await auth.register(f"{full_width}@{domain}", PASSWORD, "Impostor", "Other")
    # The owner still logs in with the address as they typed it, and so would the look-alike.
    assert await auth.login(account.email, PASSWORD, address="192.0.2.1")
    assert await auth.login(f"{full_width}@{domain}", PASSWORD, address="192.0.2.1")


def test_problems_collect_every_field_before_refusing() -> None:
    from nyx_app.services.errors import InvalidFields
    from nyx_app.services.validation import Problems, required_text

    problems = Problems()
    assert problems.check("name", required_text, " ok ", "Name", 10) == "ok"
    assert problems.check("title", required_text, "", "Title", 10) is None
    assert problems.check("tag", required_text, "x" * 11, "Tag", 10) is None
    problems.add("title", "a second message for the same field is not shown")
    with pytest.raises(InvalidFields) as refused:
        problems.raise_if_any()
    assert refused.value.fields == {
        "title": "Title cannot be empty.",
        "tag": "Tag is too long (11 characters; at most 10).",
    }
    assert refused.value.message == "Title cannot be empty. Tag is too long (11 characters; at most 10)."
    Problems().raise_if_any()  # nothing wrong: nothing raised
