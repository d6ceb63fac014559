"""/reset-password/<token>: choose a new password from a mailed link.

The page checks the link first and says plainly when it is not valid, used or expired (with a
way to ask for a new one). The form posts to ``/api/auth/reset-password``, which sets the new
password, ends every other login and signs this browser in (api/password_routes.py); a refused
password comes back as codes shown at its field.
"""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.pages.auth_pages import auth_card, auth_field, auth_post_form
from nyx_app.services import auth_feedback, password_reset
from nyx_app.services.errors import ServiceError
from nyx_app.services.passwords import PASSWORD_MIN
from nyx_app.state.session import AuthState


class ResetState(AuthState):
    loaded: bool = False
    link_problem: str = ""
    account_email: str = ""
    password_error: str = ""
    repeat_error: str = ""
    form_error: str = ""
    link_token: str = ""  # the link's token, posted back with the form

    @rx.event
    async def load(self):
        token = self.token  # type: ignore[attr-defined]  # the dynamic route arg for [token]
        self.loaded, self.link_problem, self.account_email, self.link_token = False, "", "", token
        problems = auth_feedback.parse(self.router.url.query_parameters.get("error", ""))
        by_field: dict[str, list[str]] = {"password": [], "repeat": [], "": []}
        for problem in problems:
            by_field.get(auth_feedback.field_of(problem), by_field[""]).append(auth_feedback.words(problem))
        self.password_error, self.repeat_error, self.form_error = (
            " ".join(by_field[f]) for f in ("password", "repeat", "")
        )
        try:
            self.account_email = (await password_reset.check_link(token)).email
        except ServiceError as refused:
            self.link_problem = refused.message
        self.loaded = True


def _form() -> rx.Component:
    return auth_post_form(
        routes.RESET_PASSWORD_API,
        # For password managers: whose password this is (not sent; the link says whose).
        rx.el.input(
            type="email", value=ResetState.account_email, auto_complete="username", read_only=True, hidden=True
        ),
        rx.el.input(type="hidden", name="token", value=ResetState.link_token),
        auth_field(
            f"New password (at least {PASSWORD_MIN} characters)",
            "password",
            ResetState.password_error,
            "password",
            auto_complete="new-password",
        ),
        auth_field("New password again", "repeat", ResetState.repeat_error, "password", auto_complete="new-password"),
        rx.cond(
            ResetState.form_error != "",
            rx.callout(ResetState.form_error, icon="triangle-alert", color_scheme="red", role="alert", id="form-error"),
        ),
        rx.button("Set the new password", type="submit", width="100%", id="reset-submit"),
    )


def reset_password_page() -> rx.Component:
    return auth_card(
        rx.cond(
            ResetState.account_email != "",
            rx.text("Choose a new password for ", rx.text.strong(ResetState.account_email), color_scheme="gray"),
            rx.text("Choose a new password", color_scheme="gray"),
        ),
        rx.cond(
            ResetState.loaded,
            rx.cond(
                ResetState.link_problem != "",
                rx.vstack(
                    rx.callout(ResetState.link_problem, icon="triangle-alert", color_scheme="red", id="link-problem"),
                    rx.link("Ask for a new link", href=routes.FORGOT_PASSWORD, id="ask-again"),
                    spacing="3",
                ),
                _form(),
            ),
            rx.center(rx.spinner(), width="100%"),
        ),
        rx.text("Every other login of the account ends when the password changes.", size="1", color_scheme="gray"),
    )
