"""The links between the integration pages (API tokens, webhooks, audit log, API docs), shown to
owners and admins, who may use all of them."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.state.session import AuthState

LINKS = [
    ("api-tokens", "API tokens", routes.API_TOKENS, "key-square"),
    ("webhooks", "Webhooks", routes.WEBHOOKS, "webhook"),
    ("audit", "Audit log", routes.AUDIT, "scroll-text"),
]


def integration_links(current: str) -> rx.Component:
    def link(key: str, label: str, href: str, icon: str) -> rx.Component:
        return rx.link(
            rx.button(
                rx.icon(icon, size=15),
                label,
                variant="solid" if key == current else "soft",
                size="2",
                color_scheme="gray" if key != current else None,
            ),
            href=href,
            id=f"tab-{key}",
            underline="none",
        )

    return rx.cond(
        AuthState.can_manage_members,
        rx.hstack(
            *[link(*entry) for entry in LINKS],
            rx.link(
                rx.button(rx.icon("book-open", size=15), "API docs", variant="ghost", size="2"),
                href=routes.API_DOCS,
                is_external=True,
                id="api-docs-link",
                underline="none",
            ),
            spacing="2",
            wrap="wrap",
        ),
    )
