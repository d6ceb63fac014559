"""The header's search: a button (``#search-open``) and the dialog it opens.

``/`` (when not typing in a field) and Ctrl/Cmd-K open it from any page: one keydown listener,
installed once per tab when the button mounts, clicks the button. It is sent with
``rx.call_script`` (Reflex's client runs it like its other actions; the page's CSP allows that and
no injected ``<script>``). Room is left after the button in the header's tools for the
notification bell (``#notification-slot``).
"""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.bell import notification_bell
from nyx_app.components.markdown import markdown_view
from nyx_app.state.search import GroupView, HitView, SearchState

SHORTCUT_SCRIPT = """
if (!window.__nyxSearchKeys) {
  window.__nyxSearchKeys = true;
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    const typing = target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
    const palette = (event.ctrlKey || event.metaKey) && (event.key === 'k' || event.key === 'K');
    if (palette || (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey)) {
      const button = document.getElementById('search-open');
      if (button) { event.preventDefault(); button.click(); }
    }
  });
}
"""


def search_button() -> rx.Component:
    return rx.button(
        rx.icon("search", size=16),
        rx.text("Search", as_="span", class_name="nyx-search-label"),
        rx.el.kbd("Ctrl K", class_name="nyx-kbd"),
        id="search-open",
        variant="soft",
        color_scheme="gray",
        size="2",
        # No aria-label: the accessible name is the visible text ("Search Ctrl K"), as axe's
        # label-content-name-mismatch asks (speech users say what they see); the hint is the title.
        title="Search the workspace (/ or Ctrl+K)",
        on_click=SearchState.open_search,
        on_mount=rx.call_script(SHORTCUT_SCRIPT),
    )


def _hit(hit: HitView) -> rx.Component:
    return rx.link(
        rx.vstack(
            markdown_view(hit.title_html, class_name="search-hit-title", style={"font_weight": "600"}),
            rx.cond(
                hit.passage_html != "",
                markdown_view(
                    hit.passage_html,
                    class_name="search-hit-passage",
                    style={"color": "var(--gray-11)", "font_size": "var(--font-size-2)"},
                ),
            ),
            rx.hstack(
                rx.cond(hit.project != "", rx.badge(rx.icon("folder", size=12), hit.project, variant="outline")),
                rx.text(hit.date, size="1", color_scheme="gray"),
                rx.badge("matched by ", hit.why, size="1", variant="soft", class_name="search-hit-why"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            spacing="1",
            width="100%",
        ),
        href=hit.url,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        class_name=rx.cond(SearchState.selected == hit.index, "search-hit selected", "search-hit"),
        on_click=SearchState.opened,
    )


def _group(group: GroupView) -> rx.Component:
    return rx.vstack(
        rx.heading(group.label, size="2", color_scheme="gray", class_name="search-group-label"),
        rx.foreach(group.hits, _hit),
        spacing="1",
        width="100%",
        class_name="search-group",
    )


def search_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Search the workspace", size="3"),
            rx.debounce_input(
                rx.input(
                    id="search-input",
                    placeholder="Notes, memory, insights, run outputs, reports… by words or meaning",
                    value=SearchState.query,
                    on_change=SearchState.run_search,
                    on_key_down=SearchState.key,
                    max_length=500,
                    size="3",
                    auto_focus=True,
                    width="100%",
                    aria_label="Search",
                ),
                debounce_timeout=250,
            ),
            rx.cond(
                SearchState.error != "",
                rx.callout(SearchState.error, icon="triangle-alert", color_scheme="red", size="1", id="search-error"),
            ),
            rx.cond(
                SearchState.note != "", rx.text(SearchState.note, size="1", color_scheme="amber", id="search-note")
            ),
            rx.scroll_area(
                rx.vstack(rx.foreach(SearchState.groups, _group), spacing="3", width="100%", id="search-results"),
                max_height="60vh",
                type="auto",
                scrollbars="vertical",
            ),
            rx.cond(
                SearchState.searched & (SearchState.urls.length() == 0),
                rx.text("Nothing found.", size="2", color_scheme="gray", id="search-empty"),
            ),
            rx.hstack(
                rx.text("↑ ↓ to choose, Enter to open, Esc to close.", size="1", color_scheme="gray"),
                rx.link("Search settings", href=routes.SEARCH_SETTINGS, size="1", id="search-settings-link"),
                justify="between",
                width="100%",
            ),
            max_width="680px",
            width="100%",
        ),
        open=SearchState.search_open,
        on_open_change=SearchState.set_search_open,
    )


def search_box() -> rx.Component:
    """Button, dialog and the slot the notification bell will take, side by side."""
    slot = rx.box(notification_bell(), id="notification-slot", class_name="nyx-notification-slot")
    return rx.fragment(search_button(), slot, search_dialog())
