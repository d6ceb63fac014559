"""An invitation link: who invites you to which workspace, with which role; join as the signed-in
user, or create an account (or log in) first and come back here. A used, expired or unknown link
says so and offers nothing to click that would not work."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.layout import open_page
from nyx_app.components.page import not_found_view, section_card
from nyx_app.services import auth, invitations
from nyx_app.services.errors import NotFound, ServiceError
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action


class InviteState(AuthState):
    found: bool = True
    loaded: bool = False
    workspace: str = ""
    invite_role: str = ""
    invited_by: str = ""
    expires: str = ""
    problem: str = ""
    signed_in: bool = False
    register_url: str = ""
    login_url: str = ""

    @rx.event
    async def load(self):
        token = self.token  # type: ignore[attr-defined]  # the dynamic route arg for [token]
        self.loaded, self.error, self.nav_open = False, "", False
        self.signed_in = await self._context() is not None
        self.register_url = f"{routes.REGISTER}?invite={token}"
        self.login_url = f"{routes.LOGIN}?next={routes.invite_url(token)}"
        try:
            seen = await invitations.preview(token)
        except NotFound:
            self.found, self.loaded = False, True
            return
        self.found, self.workspace, self.invite_role = True, seen.workspace, seen.role.value
        self.invited_by, self.problem = seen.invited_by, seen.problem
        self.expires = f"{seen.expires_at:%d %b %Y %H:%M} UTC"
        self.loaded = True

    @rx.event
    @user_action
    async def accept(self):
        ctx = await self._require()
        token = self.token  # type: ignore[attr-defined]
        try:
            tenant_id = await invitations.accept(token, ctx.user_id)
        except ServiceError as refused:
            self.problem = refused.message
            return None
        await auth.switch_tenant(self._session_token(), tenant_id)
        return [rx.redirect(routes.DASHBOARD), toasts.done(f"Welcome to {self.workspace}!")]


def _invitation() -> rx.Component:
    return section_card(
        rx.text("Join ", InviteState.workspace),
        rx.text(
            rx.cond(
                InviteState.invited_by != "",
                rx.fragment(rx.text.strong(InviteState.invited_by), " invites you"),
                "You are invited",
            ),
            " to work in ",
            rx.text.strong(InviteState.workspace),
            " as ",
            rx.badge(InviteState.invite_role),
            ".",
            size="3",
        ),
        rx.cond(
            InviteState.problem != "",
            rx.callout(InviteState.problem, icon="circle-alert", color_scheme="red", id="invite-problem"),
            rx.vstack(
                rx.text("The link works once, until ", InviteState.expires, ".", size="2", color_scheme="gray"),
                rx.cond(
                    InviteState.signed_in,
                    rx.vstack(
                        rx.text("You are signed in as ", rx.text.strong(InviteState.user_email), ".", size="2"),
                        rx.button(
                            rx.icon("log-in", size=16),
                            "Join ",
                            InviteState.workspace,
                            on_click=InviteState.accept,
                            id="accept-invite",
                        ),
                        spacing="2",
                    ),
                    rx.hstack(
                        rx.link(rx.button("Create an account", id="invite-register"), href=InviteState.register_url),
                        rx.link(
                            rx.button("I have an account: log in", variant="soft", id="invite-login"),
                            href=InviteState.login_url,
                        ),
                        spacing="3",
                        wrap="wrap",
                    ),
                ),
                spacing="3",
            ),
        ),
        max_width="560px",
        margin_x="auto",
        id="invitation",
    )


@open_page
def invite_page() -> rx.Component:
    return rx.cond(
        InviteState.found,
        rx.cond(InviteState.loaded, _invitation(), rx.center(rx.spinner(), padding="3em", width="100%")),
        not_found_view("Invitation not found", invitations.NOT_VALID, back_href=routes.DASHBOARD, back_label="nyxCore"),
    )
