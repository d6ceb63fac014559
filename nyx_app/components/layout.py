"""The one page frame: header with navigation, workspace switcher, theme toggle and user links;
the page's content below it. Every page uses it.

Use ``@signed_in_page(section="memory")`` on a signed-in page's function (``section`` is the key
of its navigation entry, highlighted as the current page; "" for none). The page's ``on_load``
must resolve the session (``AuthState._in_tenant``/``_require`` through ``user_action``, or
``AuthState.guard``). Pages open to everyone (not found, public project pages, invitations) use
``@open_page``: the same frame, showing the navigation only to a signed-in visitor (their
``on_load`` includes ``AuthState.refresh``).

Under 768 px the links and tools fold into a menu opened by the menu button (``#nav-menu``),
so no page is wider than a phone. Light and dark themes: the toggle (``#theme-toggle``) is
Reflex's color mode, kept in the browser's localStorage, so the choice survives reloads and
new tabs. Styles that props cannot express (hover, current page, media queries) live in
``assets/nyx.css``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import overload

import reflex as rx

from nyx_app import routes
from nyx_app.components.fields import field, form_error
from nyx_app.components.post_form import post_form
from nyx_app.components.search_box import search_box
from nyx_app.state.session import NEW_WORKSPACE, AuthState, TenantOption

PageFunction = Callable[[], rx.Component]

# key, label, URL, icon: the key is what ``signed_in_page(section=...)`` names.
NAV_LINKS: list[tuple[str, str, str, str]] = [
    ("projects", "Projects", routes.DASHBOARD, "folder-kanban"),
    ("memory", "Memory Hub", routes.MEMORY, "brain"),
    ("personas", "Personas", routes.PERSONAS, "drama"),
    ("members", "Members", routes.MEMBERS, "users"),
    ("providers", "Providers", routes.PROVIDERS, "key-round"),
    ("api", "API", routes.API_TOKENS, "plug"),
]


def brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.image(src="/icon.svg", width="28px", height="28px", alt=""),
            rx.text("nyxCore", weight="bold", size="4"),
            align="center",
            spacing="2",
        ),
        href=routes.DASHBOARD,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        aria_label="nyxCore home",
    )


def _nav_link(key: str, label: str, href: str, icon: str, current: str) -> rx.Component:
    props = {"aria_current": "page"} if key == current else {}
    return rx.link(
        rx.icon(icon, size=16),
        label,
        href=href,
        underline="none",
        class_name="nyx-nav-link",
        id=f"nav-{key}",
        on_click=AuthState.set_nav_open(False),
        **props,
    )


def _workspace_switcher() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Workspace", id="tenant-switcher", max_width="14em"),
        rx.select.content(
            rx.select.group(
                rx.select.label("Workspaces"),
                rx.foreach(AuthState.tenants, lambda t: rx.select.item(t.name, value=t.id)),
            ),
            rx.select.separator(),
            rx.select.item("+ New workspace…", value=NEW_WORKSPACE, id="new-workspace"),
        ),
        value=AuthState.tenant_id,
        on_change=AuthState.switch_tenant,
        size="2",
    )


def _new_workspace_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("New workspace"),
            rx.dialog.description(
                "A workspace has its own projects, memory, members and providers. You will be its owner.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    field("Workspace name", "name", "new-workspace", auto_focus=True),
                    form_error("new-workspace"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Create workspace", type="submit", id="create-workspace"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    padding_top="0.75em",
                ),
                on_submit=AuthState.create_workspace,
            ),
            max_width="440px",
        ),
        open=AuthState.new_workspace_open,
        on_open_change=AuthState.set_new_workspace_open,
    )


SHORTCUTS = [
    ("?", "this list"),
    ("c", "create in the current list (project, note, memory entry, persona)"),
    ("g then p", "go to Projects"),
    ("g then m", "go to the Memory Hub"),
    ("Ctrl+S / ⌘+S", "save the note or workflow you are editing"),
]


def shortcuts_dialog() -> rx.Component:
    """The list of keyboard shortcuts (``?`` opens it; assets/nyx.js listens for the keys)."""
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.icon_button(
                rx.icon("keyboard", size=18),
                variant="ghost",
                color_scheme="gray",
                size="2",
                aria_label="Keyboard shortcuts",
                id="shortcuts-button",
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Keyboard shortcuts"),
            rx.dialog.description("Letter keys do nothing while you type in a field.", size="2"),
            rx.el.dl(
                *[
                    rx.fragment(
                        rx.el.dt(rx.code(keys), margin_top="0.6em"),
                        rx.el.dd(rx.text(what, size="2"), margin_left="0"),
                    )
                    for keys, what in SHORTCUTS
                ],
                id="shortcuts-list",
            ),
            rx.hstack(rx.dialog.close(rx.button("Close", variant="soft")), justify="end", padding_top="1em"),
            max_width="440px",
        ),
    )


def theme_toggle() -> rx.Component:
    return rx.color_mode.button(
        id="theme-toggle", aria_label="Switch between light and dark theme", size="2", variant="ghost"
    )


def _signed_in_tools() -> rx.Component:
    return rx.box(
        search_box(),
        _workspace_switcher(),
        shortcuts_dialog(),
        theme_toggle(),
        rx.link(
            rx.icon("circle-user-round", size=16),
            AuthState.user_name,
            href=routes.ACCOUNT,
            underline="none",
            class_name="nyx-nav-link",
            id="user-name",
            on_click=AuthState.set_nav_open(False),
        ),
        # A real form post: only an HTTP response can clear the HttpOnly session cookie.
        post_form(
            routes.LOGOUT_API,
            rx.button("Log out", variant="soft", color_scheme="gray", size="2", type="submit", id="logout"),
        ),
        class_name="nyx-nav-tools",
    )


def navbar(current: str = "") -> rx.Component:
    return rx.el.header(
        rx.box(
            brand(),
            rx.icon_button(
                rx.cond(AuthState.nav_open, rx.icon("x", size=18), rx.icon("menu", size=18)),
                variant="soft",
                color_scheme="gray",
                class_name="nyx-menu-button",
                id="nav-menu",
                aria_label="Menu",
                aria_expanded=rx.cond(AuthState.nav_open, "true", "false"),
                on_click=AuthState.toggle_nav,
            ),
            rx.el.nav(
                rx.box(*[_nav_link(*link, current) for link in NAV_LINKS], class_name="nyx-nav-links"),
                _signed_in_tools(),
                class_name=rx.cond(AuthState.nav_open, "nyx-nav-panel open", "nyx-nav-panel"),
                aria_label="Main",
                id="nav-panel",
            ),
            class_name="nyx-header-bar",
        ),
        _new_workspace_dialog(),
        class_name="nyx-header",
    )


def _open_header() -> rx.Component:
    """The header of a page anyone may see, for a visitor who is not signed in."""
    return rx.el.header(
        rx.box(
            brand(),
            rx.box(
                theme_toggle(),
                rx.link("Log in", href=routes.LOGIN, id="login-link", class_name="nyx-nav-link"),
                class_name="nyx-nav-tools",
            ),
            class_name="nyx-header-bar",
        ),
        class_name="nyx-header",
    )


def _frame(header: rx.Component, content: rx.Component) -> rx.Component:
    return rx.box(header, rx.el.main(content, class_name="nyx-main", id="main"), width="100%", min_height="100vh")


def _no_worker() -> rx.Component:
    """For owners and admins (AuthState sets it only for them): runs wait while no worker is alive."""
    return rx.cond(
        AuthState.no_worker_since != "",
        rx.callout(
            rx.text(
                "No job worker has been running since ",
                AuthState.no_worker_since,
                ": runs wait until one starts (./scripts/run starts one with the app; "
                "python -m nyx_app.cli worker starts more).",
            ),
            icon="server-off",
            color_scheme="amber",
            size="1",
            id="no-worker",
            margin_bottom="1em",
        ),
    )


@overload
def signed_in_page(content: PageFunction, *, section: str = "") -> PageFunction: ...
@overload
def signed_in_page(content: None = None, *, section: str = "") -> Callable[[PageFunction], PageFunction]: ...


def signed_in_page(
    content: PageFunction | None = None, *, section: str = ""
) -> PageFunction | Callable[[PageFunction], PageFunction]:
    """Wrap a page function in the frame; ``section`` highlights its navigation entry."""
    if content is None:
        return lambda page: signed_in_page(page, section=section)
    page = content

    def wrapped() -> rx.Component:
        return _frame(navbar(section), rx.fragment(_no_worker(), page()))

    wrapped.__name__ = page.__name__
    return wrapped


def open_page(content: PageFunction) -> PageFunction:
    """The frame for pages anyone may open: the full navigation for a signed-in visitor."""

    def wrapped() -> rx.Component:
        return _frame(rx.cond(AuthState.user_name != "", navbar(), _open_header()), content())

    wrapped.__name__ = content.__name__
    return wrapped


def error_callout(message: rx.Var[str], id: str = "form-error") -> rx.Component:
    """A red message box for a refusal of a page-level action. A refusal of a named form
    (``user_action(form=...)``) is shown in that form instead (``fields.form_error``)."""
    return rx.cond(
        (message != "") & (AuthState.error_form == ""),
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", id=id, size="1"),
    )


__all__ = ["NAV_LINKS", "TenantOption", "error_callout", "navbar", "open_page", "signed_in_page", "theme_toggle"]
