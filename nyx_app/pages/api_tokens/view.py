"""The token form and list, on the Account page (personal) and Settings → API tokens (workspace)."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import page_header, section_card
from nyx_app.pages.api_tokens.nav import integration_links
from nyx_app.pages.api_tokens.state import EXPIRY_CHOICES, NEVER, TokenRow, TokensState
from nyx_app.services.permissions import Scope

SCOPE_WORDS = {
    Scope.READ: "read: everything the member can see",
    Scope.WRITE: "write: projects, notes, memory, workflows",
    Scope.RUNS: "runs: start, cancel and review runs",
    Scope.ADMIN: "admin: what only owners and admins may do (audit log, deleting, publishing)",
}


def _new_token_callout() -> rx.Component:
    return rx.cond(
        TokensState.new_token != "",
        rx.callout(
            rx.vstack(
                rx.text("Copy ", rx.text.strong(TokensState.new_token_name), " now; it is shown only this once."),
                rx.code(TokensState.new_token, id="new-token", word_break="break-all", size="2"),
                rx.hstack(
                    rx.button(
                        rx.icon("copy", size=14),
                        "Copy",
                        size="1",
                        on_click=rx.set_clipboard(TokensState.new_token),
                        id="copy-token",
                    ),
                    rx.button("Done", size="1", variant="soft", on_click=TokensState.forget_new_token),
                    spacing="2",
                ),
                spacing="2",
                align="start",
            ),
            icon="key-round",
            color_scheme="green",
            width="100%",
        ),
    )


def token_form(form: str, on_submit: object) -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Name",
                "name",
                form,
                placeholder="e.g. CI on GitHub",
                hint="Where it is used, so you know what to revoke.",
            ),
            rx.vstack(
                rx.text("Scopes", size="2", weight="medium"),
                *[
                    rx.checkbox(
                        words,
                        name=f"scope_{s.value}",
                        id=f"{form}-scope-{s.value}",
                        default_checked=s is Scope.READ,
                        size="2",
                    )
                    for s, words in SCOPE_WORDS.items()
                ],
                rx.cond(
                    TokensState.field_errors.get(f"{form}.scopes", "") != "",  # type: ignore[attr-defined]
                    rx.text(
                        TokensState.field_errors.get(f"{form}.scopes", ""), color_scheme="red", size="1", role="alert"
                    ),  # type: ignore[attr-defined]
                ),
                spacing="1",
            ),
            field(
                "Expires after",
                "expires",
                form,
                control=rx.select(
                    EXPIRY_CHOICES,
                    name="expires",
                    default_value=NEVER,
                    id=f"{form}-expires",
                    aria_label="Expires after (days)",
                ),
                hint="Days; or never. A token can be revoked at any time.",
            ),
            form_error(form),
            rx.button("Make token", type="submit", id=f"{form}-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,  # type: ignore[arg-type]
        key=TokensState.made,
        width="100%",
    )


def _token_row(t: TokenRow) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.icon("key-round", size=15),
                rx.text(t.name, weight="medium"),
                rx.code(t.hint, size="1"),
                rx.badge(t.state, color_scheme=rx.cond(t.active, "green", "gray")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Scopes: ",
                t.scopes,
                " · by ",
                t.owner,
                " · made ",
                t.created,
                " · expires ",
                t.expires,
                size="1",
                color_scheme="gray",
            ),
            rx.text("Last used: ", t.last_used, size="1", color_scheme="gray", class_name="token-last-used"),
            spacing="1",
            min_width="0",
        ),
        rx.cond(
            t.active,
            confirm_dialog(
                "Revoke this token?",
                "Programs using it are refused from their next call. This cannot be undone.",
                TokensState.revoke(t.id),
                trigger_label="Revoke",
                confirm_label="Revoke token",
                trigger_class="revoke-token",
                confirm_class="confirm-revoke-token",
            ),
        ),
        justify="between",
        align="center",
        gap="3",
        wrap="wrap",
        width="100%",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        class_name="token-row",
    )


def token_list(rows: rx.Var[list[TokenRow]], empty: str, id: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,  # type: ignore[attr-defined]
        rx.box(rx.foreach(rows, _token_row), width="100%", id=id),
        rx.text(empty, color_scheme="gray", size="2", id=f"{id}-empty"),
    )


def personal_tokens_card() -> rx.Component:
    """The Account page's section (loads itself when it appears)."""
    return section_card(
        "API tokens",
        _new_token_callout(),
        token_form("personal-token", TokensState.make_personal),
        rx.divider(),
        token_list(TokensState.personal, "You have no API tokens.", "personal-tokens"),
        description=rx.text(
            "For scripts and coding agents: the REST API (",
            rx.link("docs", href=routes.API_DOCS, is_external=True),
            ") and the MCP server at /mcp. A token can never do more than you may.",
            size="2",
            color_scheme="gray",
        ),
        max_width="720px",
        id="api-tokens",
        on_mount=TokensState.load,
    )


@signed_in_page(section="api")
def api_tokens_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "API tokens",
            description="Tokens of the workspace: made by owners and admins, each acting for the one who made it.",
        ),
        integration_links("api-tokens"),
        error_callout(TokensState.error),
        section_card(
            "Workspace tokens",
            _new_token_callout(),
            rx.cond(TokensState.can_manage_members, token_form("workspace-token", TokensState.make_workspace)),
            rx.divider(),
            token_list(TokensState.workspace, "The workspace has no tokens yet.", "workspace-tokens"),
            description="Every owner and admin sees and can revoke these; personal tokens are on the Account page.",
            max_width="820px",
        ),
        spacing="4",
        width="100%",
    )
