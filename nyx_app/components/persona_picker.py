"""PersonaPicker: find personas by name or specialization and pick one or several.

Sections per category (a persona's first specialization; "Other" without any) that fold open and
shut, a search box, and compact cards. Stateless: the caller's state holds the cards, the query,
the selection and the folded sections, and computes ``sections`` with ``picker_sections`` (a pure
function, fine in a computed var: no database). Single or multiple choice is the caller's
handler's decision; ``multiple`` only changes how a choice looks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from nyx_app.components.persona_card import OTHER, PersonaCard, portrait


@dataclasses.dataclass
class PickerSection:
    category: str
    personas: list[PersonaCard]


def matches(card: PersonaCard, query: str) -> bool:
    words = query.casefold().split()
    haystack = " ".join([card.name, card.role, *card.specializations]).casefold()
    return all(w in haystack for w in words)


def picker_sections(cards: list[PersonaCard], query: str) -> list[PickerSection]:
    """Matching personas grouped by category: categories by name ("Other" last), personas by name."""
    grouped: dict[str, list[PersonaCard]] = {}
    for card in cards:
        if matches(card, query):
            grouped.setdefault(card.category, []).append(card)
    order = sorted(grouped, key=lambda c: (c == OTHER, c.casefold()))
    return [PickerSection(c, sorted(grouped[c], key=lambda p: p.name.casefold())) for c in order]


def toggle(selected: list[str], persona_id: str, *, multiple: bool, most: int = 0) -> list[str]:
    """The selection after a click: single choice replaces, multiple choice adds or removes
    (up to ``most``, if given)."""
    if persona_id in selected:
        return [p for p in selected if p != persona_id]
    if not multiple:
        return [persona_id]
    if most and len(selected) >= most:
        return selected
    return [*selected, persona_id]


def _compact(card: PersonaCard, selected: rx.Var[list[str]], on_toggle: Any, multiple: bool) -> rx.Component:
    chosen = selected.contains(card.id)  # type: ignore[attr-defined]
    mark = "square-check" if multiple else "circle-check"
    empty = "square" if multiple else "circle"
    return rx.box(
        rx.hstack(
            rx.cond(
                chosen, rx.icon(mark, size=16, color="var(--accent-9)"), rx.icon(empty, size=16, color="var(--gray-8)")
            ),
            portrait(card.portrait_path, card.avatar, card.name, size="32px"),
            rx.vstack(
                rx.text(card.name, size="2", weight="medium", class_name="picker-persona-name"),
                rx.text(card.role, size="1", color_scheme="gray"),
                spacing="0",
                min_width="0",
                flex="1",
            ),
            rx.badge(f"L{card.level}", variant="soft", color_scheme="violet", size="1"),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.flex(
            rx.foreach(card.specializations, lambda s: rx.badge(s, size="1", variant="outline")),
            wrap="wrap",
            gap="1",
            padding_top="0.4em",
        ),
        on_click=on_toggle(card.id),
        role="option",
        aria_selected=rx.cond(chosen, "true", "false"),
        tab_index=0,
        padding="0.5em 0.7em",
        border_radius="var(--radius-3)",
        border=rx.cond(chosen, "1px solid var(--accent-8)", "1px solid var(--gray-a5)"),
        background=rx.cond(chosen, "var(--accent-a3)", "transparent"),
        cursor="pointer",
        class_name=rx.cond(chosen, "picker-persona selected", "picker-persona"),
        data_persona=card.name,
    )


def _section(
    section: PickerSection,
    selected: rx.Var[list[str]],
    collapsed: rx.Var[list[str]],
    on_toggle: Any,
    on_toggle_section: Any,
    multiple: bool,
) -> rx.Component:
    folded = collapsed.contains(section.category)  # type: ignore[attr-defined]
    return rx.vstack(
        # A real button: it folds its section, and says whether it is open.
        rx.el.button(
            rx.hstack(
                rx.cond(folded, rx.icon("chevron-right", size=14), rx.icon("chevron-down", size=14)),
                rx.text(section.category, size="2", weight="bold"),
                rx.badge(section.personas.length(), size="1", variant="soft", color_scheme="gray"),  # type: ignore[attr-defined]
                align="center",
                spacing="2",
            ),
            type="button",
            on_click=on_toggle_section(section.category),
            cursor="pointer",
            background="none",
            border="none",
            padding="0",
            color="inherit",
            class_name="picker-section-toggle",
            aria_expanded=rx.cond(folded, "false", "true"),
        ),
        rx.cond(
            ~folded,
            # Each section is a list of options of its own, named by its category.
            rx.grid(
                rx.foreach(section.personas, lambda c: _compact(c, selected, on_toggle, multiple)),
                columns=rx.breakpoints(initial="1", sm="2", md="3"),
                spacing="2",
                width="100%",
                role="listbox",
                aria_label=section.category,
                aria_multiselectable=rx.cond(multiple, "true", "false"),
            ),
        ),
        width="100%",
        spacing="2",
        class_name="picker-section",
        data_category=section.category,
    )


def persona_picker(
    sections: rx.Var[list[PickerSection]],
    selected: rx.Var[list[str]],
    collapsed: rx.Var[list[str]],
    query: rx.Var[str],
    *,
    on_query: Any,
    on_toggle: Any,
    on_toggle_section: Any,
    multiple: bool = True,
    id: str = "persona-picker",
) -> rx.Component:
    """``on_query(text)``, ``on_toggle(persona_id)``, ``on_toggle_section(category)``."""
    return rx.vstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            value=query,
            on_change=on_query,
            placeholder="Search by name or specialization",
            width="100%",
            id=f"{id}-search",
            aria_label="Search personas by name or specialization",
        ),
        rx.cond(
            sections.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.foreach(
                    sections, lambda s: _section(s, selected, collapsed, on_toggle, on_toggle_section, multiple)
                ),
                width="100%",
                spacing="3",
            ),
            rx.text("No persona matches.", size="2", color_scheme="gray", class_name="picker-empty"),
        ),
        width="100%",
        spacing="3",
        id=id,
        role="group",
        aria_label="Personas",
    )
