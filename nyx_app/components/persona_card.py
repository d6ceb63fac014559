"""A persona as a card: portrait, name, role, level with its XP bar, traits as chips,
specializations as badges (with the keywords that decided them, when they were found
automatically), uses and success rate. Stateless: pages pass Vars and handlers.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from nyx_app.api.portraits import portrait_url
from nyx_app.components.forms import confirm_delete
from nyx_app.components.image_gallery import backend_url
from nyx_app.services.personas.store import PersonaView
from nyx_app.services.personas.xp import XP_PER_LEVEL

OTHER = "Other"


@dataclasses.dataclass
class PersonaCard:
    id: str
    name: str
    role: str
    description: str
    portrait_path: str  # the authenticated portrait route, or "" (then ``avatar`` is shown)
    avatar: str  # the generated avatar as a data URI
    level: int
    xp: int
    xp_into_level: int
    traits: list[str]
    specializations: list[str]
    evidence: list[str]
    uses: int
    uses_label: str  # "no uses yet", "1 use", "12 uses"
    success_label: str  # "83% success"; "" before the first use
    category: str  # the first specialization: the picker's section
    may_delete: bool = False  # members delete only the personas they made: no button otherwise


def to_card(p: PersonaView) -> PersonaCard:
    return PersonaCard(
        id=p.id,
        name=p.name,
        role=p.role,
        description=p.description,
        portrait_path=portrait_url(p.id, p.portrait_tag) if p.portrait_tag else "",
        avatar=p.avatar,
        level=p.level,
        xp=p.xp,
        xp_into_level=p.xp_into_level,
        traits=p.traits,
        specializations=p.specializations,
        evidence=p.evidence,
        uses=p.uses,
        uses_label="no uses yet" if p.uses == 0 else f"{p.uses} use" if p.uses == 1 else f"{p.uses} uses",
        success_label="" if p.success_rate is None else f"{round(p.success_rate * 100)}% success",
        category=p.specializations[0] if p.specializations else OTHER,
        may_delete=p.may_delete,
    )


def portrait(path: rx.Var[str], avatar: rx.Var[str], name: rx.Var[str], size: str = "64px") -> rx.Component:
    """An uploaded portrait (through the authenticated route) or the generated avatar: an <img>
    either way, where an SVG cannot run anything."""
    return rx.image(
        src=rx.cond(path != "", backend_url(path), avatar),
        alt=name,
        width=size,
        height=size,
        min_width=size,
        border_radius="var(--radius-4)",
        object_fit="cover",
        class_name="persona-portrait",
    )


def level_bar(level: rx.Var[int], xp_into_level: rx.Var[int]) -> rx.Component:
    return rx.hstack(
        rx.badge(f"Level {level}", variant="solid", color_scheme="violet", class_name="persona-level"),
        rx.progress(
            value=xp_into_level,
            max=XP_PER_LEVEL,
            width="100%",
            color_scheme="violet",
            aria_label=rx.Var.create("Experience towards level ") + (level + 1).to_string(),
        ),
        rx.text(f"{xp_into_level}/{XP_PER_LEVEL} XP", size="1", color_scheme="gray", white_space="nowrap"),
        width="100%",
        align="center",
        spacing="2",
    )


def persona_card(card: PersonaCard, *, on_edit: Any, on_duplicate: Any, on_delete: Any) -> rx.Component:
    """``on_edit``/``on_duplicate``/``on_delete``: handlers taking the persona id."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                portrait(card.portrait_path, card.avatar, card.name),
                rx.vstack(
                    rx.heading(card.name, size="4", class_name="persona-name"),
                    rx.text(card.role, size="2", color_scheme="gray", class_name="persona-role"),
                    spacing="1",
                    min_width="0",
                ),
                align="center",
                spacing="3",
                width="100%",
            ),
            level_bar(card.level, card.xp_into_level),
            rx.cond(
                card.traits.length() > 0,  # type: ignore[attr-defined]
                rx.flex(
                    rx.foreach(
                        card.traits,
                        lambda t: rx.badge(t, variant="outline", radius="full", class_name="persona-trait"),
                    ),
                    wrap="wrap",
                    gap="1",
                ),
            ),
            rx.flex(
                rx.foreach(
                    card.specializations,
                    lambda s: rx.badge(s, variant="soft", color_scheme="indigo", class_name="persona-specialization"),
                ),
                rx.cond(
                    card.specializations.length() == 0,  # type: ignore[attr-defined]
                    rx.text("No specialization", size="1", color_scheme="gray"),
                ),
                wrap="wrap",
                gap="1",
            ),
            rx.cond(
                card.evidence.length() > 0,  # type: ignore[attr-defined]
                # The words that decided the specializations, one click away instead of always shown.
                rx.el.details(
                    rx.el.summary(
                        rx.text("Why these specializations", size="1", color_scheme="gray"),
                        cursor="pointer",
                        width="fit-content",
                    ),
                    rx.foreach(
                        card.evidence,
                        lambda line: rx.text(line, size="1", color_scheme="gray", class_name="persona-evidence"),
                    ),
                    class_name="persona-why",
                ),
            ),
            rx.hstack(
                rx.text(card.uses_label, size="1", class_name="persona-uses"),
                rx.cond(
                    card.success_label != "",
                    rx.hstack(
                        rx.text("·", size="1", color_scheme="gray"),
                        rx.text(card.success_label, size="1", class_name="persona-success"),
                        spacing="2",
                    ),
                ),
                rx.spacer(),
                rx.button("Edit", size="1", variant="soft", on_click=on_edit(card.id), class_name="edit-persona"),
                rx.button(
                    "Duplicate",
                    size="1",
                    variant="soft",
                    on_click=on_duplicate(card.id),
                    class_name="duplicate-persona",
                ),
                rx.cond(
                    card.may_delete,
                    confirm_delete(
                        "Delete persona?",
                        "Discussions keep what it said; workflow steps that speak as it must choose another persona.",
                        on_delete(card.id),
                        trigger_class="delete-persona",
                        confirm_class="confirm-delete-persona",
                    ),
                ),
                width="100%",
                align="center",
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        class_name="persona-card",
        data_persona=card.name,
        width="100%",
    )
