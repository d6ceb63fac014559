"""The signed-in page frame: navigation, tenant switcher, user menu."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from nyx_app import routes
from nyx_app.components.post_form import post_form
from nyx_app.state.session import AuthState, TenantOption

NAV_LINKS: list[tuple[str, str, str]] = [
    ("Projects", routes.DASHBOARD, "folder-kanban"),
    ("Memory Hub", routes.MEMORY, "brain"),
    ("Personas", routes.PERSONAS, "drama"),
    ("Members", routes.MEMBERS, "users"),
    ("Providers", routes.PROVIDERS, "key-round"),
]


def _nav_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2"), align="center", spacing="2"),
        href=href,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def _tenant_switcher() -> rx.Component:
    return rx.cond(
        AuthState.tenants.length() > 1,  # type: ignore[attr-defined]
        rx.select.root(
            rx.select.trigger(aria_label="Workspace", id="tenant-switcher"),
            rx.select.content(
                rx.foreach(
                    AuthState.tenants,
                    lambda t: rx.select.item(t.name, value=t.id),  # type: ignore[attr-defined]
                )
            ),
            value=AuthState.tenant_id,
            on_change=AuthState.switch_tenant,
        ),
        rx.badge(AuthState.tenant_name, variant="soft", size="2", id="tenant-name"),
    )


def navbar() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.link(rx.heading("nyxCore", size="5"), href=routes.DASHBOARD, underline="none"),
            *[_nav_link(*link) for link in NAV_LINKS],
            spacing="5",
            align="center",
        ),
        rx.spacer(),
        rx.hstack(
            _tenant_switcher(),
            rx.link(AuthState.user_name, href=routes.ACCOUNT, size="2", color_scheme="gray", id="user-name"),
            # A real form post: only an HTTP response can clear the HttpOnly session cookie.
            post_form(routes.LOGOUT_API, rx.button("Log out", variant="soft", size="1", type="submit", id="logout")),
            spacing="3",
            align="center",
        ),
        padding_x="1.5em",
        padding_y="0.8em",
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
        align="center",
    )


def signed_in_page(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Wrap a page function in the frame. The page's on_load must include AuthState.guard."""

    def wrapped() -> rx.Component:
        return rx.box(
            navbar(),
            rx.box(content(), padding="1.5em", max_width="1100px", margin_x="auto"),
            width="100%",
        )

    wrapped.__name__ = content.__name__
    return wrapped


def error_callout(message: rx.Var[str], id: str = "form-error") -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", id=id, size="1"),
    )


__all__ = ["TenantOption", "error_callout", "navbar", "signed_in_page"]
