"""/forgot-password: ask for a link to choose a new password.

A plain form posting to ``/api/auth/forgot-password`` (api/password_routes.py). The answer comes
back as codes in the query: ``sent=1`` shows the one message every well-formed address gets
(whether or not an account uses it); a refusal shows its words at the field, the validator's
reason for a mistyped address included (worked out again here from what was typed, which the
signed form-echo cookie brings back, never from the URL).
"""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.api.cookies import form_values
from nyx_app.pages.auth_pages import auth_card, auth_field, auth_post_form
from nyx_app.services import auth, auth_feedback, password_reset
from nyx_app.services.auth_feedback import Problem
from nyx_app.settings import get_settings
from nyx_app.state.session import AuthState


class ForgotState(AuthState):
    email_error: str = ""
    form_error: str = ""
    sent: str = ""

    @rx.event
    async def load(self):
        query = self.router.url.query_parameters
        self.sent = password_reset.sent_message() if query.get("sent") == "1" else ""
        problems = auth_feedback.parse(query.get("error", ""))
        wait = auth_feedback.parse_wait(query.get("wait", ""), get_settings().throttle_reset_window_minutes)
        words = {p: auth_feedback.words(p, wait) for p in problems}
        self.email_error = " ".join(w for p, w in words.items() if auth_feedback.field_of(p) == "email")
        self.form_error = " ".join(w for p, w in words.items() if auth_feedback.field_of(p) != "email")
        kept = form_values(self.router.headers.cookie) if problems else {}
        if Problem.EMAIL_INVALID in problems and kept.get("email"):
            self.email_error = auth.email_problem(kept["email"]) or self.email_error
        return [rx.set_value("email", kept["email"])] if kept.get("email") else None


def forgot_password_page() -> rx.Component:
    return auth_card(
        "Forgot your password? We send you a link to choose a new one.",
        rx.cond(
            ForgotState.sent != "",
            rx.callout(ForgotState.sent, icon="mail-check", color_scheme="green", role="status", id="reset-sent"),
        ),
        auth_post_form(
            routes.FORGOT_PASSWORD_API,
            auth_field("E-mail", "email", ForgotState.email_error, "email", auto_complete="username"),
            rx.cond(
                ForgotState.form_error != "",
                rx.callout(
                    ForgotState.form_error, icon="triangle-alert", color_scheme="red", role="alert", id="form-error"
                ),
            ),
            rx.button("Send me a link", type="submit", width="100%", id="forgot-submit"),
        ),
        rx.text("Remembered it? ", rx.link("Log in", href=routes.LOGIN), size="2"),
    )
