"""Building blocks every page is made of: the page header (breadcrumbs, title, description,
actions), section cards, empty states that say what to do next, and the one "not found" view.

    page_header("Memory Hub", rx.button("Add memory"), description="What the team learned.")
    page_header(State.title, crumbs=[("Projects", "/"), ("Apollo", url)], id="note-title")
    section_card("Invite people", form, description="Links work once and expire.", id="invite")
    empty_state("folder-plus", "No projects yet", "A project holds notes, …", rx.button("Create"))
    not_found_view("Project not found", "It does not exist, or it is not in your current workspace.")

Titles may be strings or Vars. Actions wrap under the title on a phone. Use ``section_card`` for
each independent part of a page (a form, a list, a danger zone with ``danger=True``), and
``empty_state`` wherever a list can be empty: name the thing, say what it is for, offer the next
step as a button or link.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from nyx_app import routes

Text = str | rx.Var[str]


def breadcrumbs(crumbs: list[tuple[Text, Text]]) -> rx.Component:
    """``[(label, href), …]``; the last one is the current page and is not a link."""
    items: list[rx.Component] = []
    for i, (label, href) in enumerate(crumbs):
        if i:
            items.append(rx.icon("chevron-right", size=14, color="var(--gray-9)", flex_shrink="0"))
        last = i == len(crumbs) - 1
        items.append(
            rx.text(label, size="2", color_scheme="gray", aria_current="page", truncate=True)
            if last
            else rx.link(label, href=href, size="2", truncate=True)
        )
    return rx.el.nav(
        rx.hstack(*items, align="center", spacing="1", wrap="wrap"),
        aria_label="Breadcrumb",
        class_name="nyx-breadcrumbs",
        id="breadcrumbs",
    )


def page_header(
    title: Text,
    *actions: rx.Component,
    description: Text | rx.Component = "",
    crumbs: list[tuple[Text, Text]] | None = None,
    badges: list[rx.Component] | None = None,
    id: str = "page-title",
) -> rx.Component:
    desc: Any = description
    if isinstance(description, str | rx.Var):
        desc = rx.cond(
            description != "",
            # On a phone at most two lines of it: the page's content, not its header, fills the screen.
            rx.text(
                description,
                color_scheme="gray",
                size=rx.breakpoints(initial="2", sm="3"),
                class_name="nyx-phone-clamp",
            ),
        )
    return rx.vstack(
        breadcrumbs(crumbs) if crumbs else rx.fragment(),
        rx.flex(
            rx.hstack(
                rx.heading(title, size=rx.breakpoints(initial="6", sm="7"), id=id, overflow_wrap="anywhere"),
                *(badges or []),
                align="center",
                spacing="3",
                wrap="wrap",
                min_width="0",
            ),
            rx.hstack(*actions, spacing="2", wrap="wrap", align="center") if actions else rx.fragment(),
            justify="between",
            align="center",
            wrap="wrap",
            gap="3",
            width="100%",
        ),
        desc,
        spacing="2",
        width="100%",
        padding_bottom="0.5em",
    )


def section_card(
    title: Text,
    *children: rx.Component,
    description: Text | rx.Component = "",
    actions: list[rx.Component] | None = None,
    danger: bool = False,
    id: str = "",
    **props: Any,
) -> rx.Component:
    desc: Any = description
    if isinstance(description, str | rx.Var):
        desc = rx.cond(description != "", rx.text(description, size="2", color_scheme="gray"))
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading(title, size="4", as_="h2", color_scheme="red" if danger else None),
                rx.hstack(*(actions or []), spacing="2", wrap="wrap"),
                justify="between",
                align="center",
                wrap="wrap",
                gap="2",
                width="100%",
            ),
            desc,
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
        id=id or None,
        style={"border_color": "var(--red-a6)"} if danger else {},
        **props,
    )


def empty_state(icon: str, title: Text, description: Text, *actions: rx.Component, id: str = "") -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=28, color="var(--accent-11)"),
                width="56px",
                height="56px",
                border_radius="50%",
                background="var(--accent-a3)",
            ),
            rx.heading(title, size="4", as_="h2", text_align="center"),
            rx.text(description, color_scheme="gray", size="2", text_align="center", max_width="34em"),
            rx.hstack(*actions, spacing="2", wrap="wrap", justify="center") if actions else rx.fragment(),
            align="center",
            spacing="3",
        ),
        width="100%",
        padding="2.5em 1em",
        border="1px dashed var(--gray-a6)",
        border_radius="var(--radius-4)",
        id=id or None,
    )


def not_found_view(
    title: Text = "Page not found",
    message: Text = "There is nothing at this address. It may have been deleted, or the link is mistyped.",
    back_href: str = routes.DASHBOARD,
    back_label: str = "Back to projects",
) -> rx.Component:
    """The same answer for "does not exist", "not yours" and "not published": nothing leaks."""
    return rx.center(
        rx.vstack(
            rx.text("404", size="9", weight="bold", color="var(--gray-a11)"),
            rx.heading(title, size="6", id="not-found", text_align="center"),
            rx.text(message, color_scheme="gray", text_align="center", max_width="30em"),
            rx.link(rx.button(rx.icon("arrow-left", size=16), back_label, variant="soft"), href=back_href),
            align="center",
            spacing="3",
        ),
        padding_y="4em",
        width="100%",
    )
