"""A dev-log post's publishing panel on the report page: its public address with Copy link, and
Publish / Unpublish, each after a word on what it means (as a project asks first)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from nyx_app.components.confirm import confirm_dialog


def publishing_panel(H: Any, toggle: Any) -> rx.Component:
    """``H``: the page state's head (published, public_url, may_publish); ``toggle``: its handler."""
    return rx.cond(
        H.is_post,
        rx.callout(
            rx.hstack(
                rx.cond(
                    H.published,
                    rx.text(
                        "Published: anyone with this address can read the post, without logging in. ",
                        rx.el.a(
                            H.public_url,
                            href=H.public_url,
                            target="_blank",
                            rel="noopener",
                            reload_document=True,
                            id="public-url",
                        ),
                        size="2",
                    ),
                    rx.text("Not published: only this workspace can read it.", size="2"),
                ),
                rx.cond(
                    H.published,
                    rx.button(
                        rx.icon("copy", size=12),
                        "Copy link",
                        size="1",
                        variant="soft",
                        on_click=[rx.set_clipboard(H.public_url), rx.toast.success("Link copied", duration=3000)],
                        id="copy-post-link",
                    ),
                ),
                rx.cond(
                    H.may_publish,
                    # A post goes public only after a word on what that means, as a project does.
                    rx.cond(
                        H.published,
                        confirm_dialog(
                            "Unpublish this post?",
                            "Its public address stops working at once and answers “not found”.",
                            toggle,
                            trigger_label="Unpublish",
                            danger=False,
                            trigger_id="toggle-post-published",
                            confirm_class="confirm-unpublish-post",
                        ),
                        confirm_dialog(
                            "Publish this post?",
                            "Anyone with its address can read it, without logging in: the post's text, "
                            "its author's name and the project's name; nothing else of this workspace. "
                            "Unpublish at any time.",
                            toggle,
                            trigger_label="Publish",
                            danger=False,
                            trigger_id="toggle-post-published",
                            confirm_class="confirm-publish-post",
                        ),
                    ),
                ),
                align="center",
                flex_wrap="wrap",
                spacing="3",
            ),
            icon=rx.cond(H.published, "globe", "lock"),  # type: ignore[arg-type]
            color_scheme=rx.cond(H.published, "green", "gray"),  # type: ignore[arg-type]
            size="1",
            width="100%",
        ),
    )
