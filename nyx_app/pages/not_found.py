"""The 404 page, inside the app's frame: a signed-in visitor keeps the navigation."""

from __future__ import annotations

import reflex as rx

from nyx_app.components.layout import open_page
from nyx_app.components.page import not_found_view


@open_page
def not_found_page() -> rx.Component:
    return not_found_view()
