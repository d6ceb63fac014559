"""The PersonaPicker's pure parts: sections by category, search by name or specialization, and
single or multiple choice."""

from nyx_app.components.persona_card import PersonaCard
from nyx_app.components.persona_picker import picker_sections, toggle


def card(name: str, *specializations: str, role: str = "") -> PersonaCard:
    return PersonaCard(
        id=name.lower(),
        name=name,
        role=role,
        description="",
        portrait_path="",
        avatar="data:image/svg+xml;base64,",
        level=1,
        xp=0,
        xp_into_level=0,
        traits=[],
        specializations=list(specializations),
        evidence=[],
        uses=0,
        uses_label="no uses yet",
        success_label="",
        category=specializations[0] if specializations else "Other",
    )


CARDS = [
    card("Zed", "Security", "Databases"),
    card("Ann", "Databases"),
    card("Bo"),
    card("Cy", "Security", role="Pen tester"),
]


def test_sections_by_first_specialization_other_last_names_in_order() -> None:
    sections = picker_sections(CARDS, "")
    assert [(s.category, [p.name for p in s.personas]) for s in sections] == [
        ("Databases", ["Ann"]),
        ("Security", ["Cy", "Zed"]),
        ("Other", ["Bo"]),
    ]


def test_search_matches_name_role_or_any_specialization_case_insensitively() -> None:
    def names(query: str) -> list[str]:
        return [p.name for s in picker_sections(CARDS, query) for p in s.personas]

    assert names("databases") == ["Ann", "Zed"]  # Zed's second specialization counts too
    assert names("ZED") == ["Zed"]
    assert names("pen sec") == ["Cy"]  # every word must match
    assert names("nothing") == []


def test_single_choice_replaces_multiple_choice_adds_up_to_the_limit() -> None:
    assert toggle(["a"], "b", multiple=False) == ["b"]
    assert toggle(["a"], "a", multiple=False) == []
    assert toggle(["a"], "b", multiple=True) == ["a", "b"]
    assert toggle(["a", "b"], "a", multiple=True) == ["b"]
    assert toggle(["a", "b"], "c", multiple=True, most=2) == ["a", "b"]
